"""Microsoft Presidio baseline for the DLP benchmark: pattern recognizers only, fully offline.

Presidio's `AnalyzerEngine` normally loads a spaCy English model (en_core_web_lg) for named
entities, tokens and lemmas. No official spaCy model is installable from the package registry
this project uses, so the baseline runs Presidio's predefined *pattern* recognizers (regex plus
checksum/validation logic, and `phonenumbers` for phones) with one of two NLP engines:

* ``"tokens"`` (default): a small `NlpEngine` built on ``spacy.blank("en")`` — spaCy's rule-based
  English tokenizer, which needs no trained model — whose "lemmas" are the lower-cased tokens.
  That keeps Presidio's `LemmaContextAwareEnhancer` working (context words such as "SSN" or
  "phone" next to a match raise its score). Presidio's context matching is by substring by
  default, so "cards" still matches "card"; only true lemmatization (irregular forms) is lost.
* ``"none"``: Presidio's own `NoOpNlpEngine` (in 2.2.366; recent): no tokens, so in-text context
  words are never used and every match keeps its recognizer's base score.

What no configuration without a trained model can do: PERSON, LOCATION, NRP, ORGANIZATION and
the spaCy DATE/TIME entities (Presidio's `SpacyRecognizer`), so `patient_name` and `us_address`
are never reported here; their mapping is kept for a later NLP-model configuration.

Offline: the e-mail recognizer validates domains with `tldextract`, whose module-level extractor
fetches the Public Suffix List over HTTPS on first use (and writes ~/.cache/python-tldextract).
Here the e-mail recognizer is replaced by a subclass that uses a private
``TLDExtract(suffix_list_urls=(), cache_dir=None)``: the list snapshot bundled with tldextract,
no network, no cache files, no global state changed.

Cost: for every match, Presidio's context enhancer walks the text's tokens from the start, so with
``nlp="tokens"`` (as with a real spaCy model) one analyze() call costs O(matches x tokens): keep
calls message-sized. Most of the rest is PhoneRecognizer (`phonenumbers`, 8 regions).

Install with ``pip install 'postseal[bench]'``. Run ``python -m benchmarks.presidio_baseline``
for a self-timing on ~1 MB of synthetic clinical text.
"""

from __future__ import annotations

import random
import time
from typing import Any

# Presidio entity → Postseal detector type. Entities with no Postseal counterpart (US_BANK_NUMBER,
# US_ITIN, US_PASSPORT, IBAN_CODE, IP_ADDRESS, URL, CRYPTO, NHS, …) are left out and dropped.
PRESIDIO_TO_OURS: dict[str, str] = {
    "US_SSN": "us_ssn",
    "CREDIT_CARD": "credit_card",
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "US_DRIVER_LICENSE": "drivers_license",
    "ABA_ROUTING_NUMBER": "aba_routing",  # AbaRoutingRecognizer: in Presidio, off by default
    "MEDICAL_LICENSE": "dea",  # MedicalLicenseRecognizer = DEA registration number + check digit
    "US_NPI": "npi",  # UsNpiRecognizer: off by default
    "US_MBI": "mbi",  # UsMbiRecognizer: off by default
    "US_HEALTH_INSURANCE_MEMBER_ID": "member_id",  # off by default
    "DATE_TIME": "dob",  # any date: Presidio cannot tell a birth date from another date
    "PERSON": "patient_name",  # spaCy NER only: never produced by this configuration
    "LOCATION": "us_address",  # spaCy NER only: never produced by this configuration
}

# Recognizers that Presidio 2.2.366 enables for English in conf/default_recognizers.yaml,
# minus the NLP-based SpacyRecognizer.
_DEFAULT_EN = (
    "CreditCardRecognizer",
    "UsBankRecognizer",
    "UsLicenseRecognizer",
    "UsItinRecognizer",
    "UsPassportRecognizer",
    "UsSsnRecognizer",
    "NhsRecognizer",
    "CryptoRecognizer",
    "DateRecognizer",
    "EmailRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "MedicalLicenseRecognizer",
    "MacAddressRecognizer",
    "UuidRecognizer",
    "PhoneRecognizer",
    "UrlRecognizer",
)
# Shipped but disabled by default; enabled here because Postseal has a counterpart type.
_EXTRA_US = ("AbaRoutingRecognizer", "UsNpiRecognizer", "UsMbiRecognizer", "UsHealthInsuranceMemberIdRecognizer")
_INSTALL_HINT = "pip install 'postseal[bench]'"


def _import_presidio() -> tuple[Any, Any]:
    try:
        import presidio_analyzer
        import presidio_analyzer.predefined_recognizers as predefined
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"The Presidio baseline needs presidio-analyzer: {_INSTALL_HINT} ({exc})") from exc
    return presidio_analyzer, predefined


def _offline_email_recognizer(predefined: Any) -> Any:
    """Presidio's EmailRecognizer with a private, network-free tldextract."""
    import tldextract

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)

    class OfflineEmailRecognizer(predefined.EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer(name="EmailRecognizer")


def _tokens_nlp_engine() -> Any:
    """A model-free NlpEngine: spaCy's English tokenizer, lower-cased tokens as lemmas."""
    import spacy
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    class BlankSpacyTokensNlpEngine(NlpEngine):
        engine_name = "blank_spacy_tokens"
        is_available = True

        def __init__(self, language: str = "en") -> None:
            self.language = language
            self.nlp: dict[str, Any] | None = None

        def load(self) -> None:
            nlp = spacy.blank(self.language)  # tokenizer + stop words only; no trained weights
            nlp.max_length = 10**9  # the tokenizer's memory is linear; lift the 1 MB guard
            self.nlp = {self.language: nlp}

        def is_loaded(self) -> bool:
            return self.nlp is not None

        def _nlp(self, language: str) -> Any:
            if not self.nlp or language not in self.nlp:
                raise ValueError(f"language {language!r} is not loaded")
            return self.nlp[language]

        def _artifacts(self, doc: Any, language: str) -> Any:
            return NlpArtifacts(
                entities=[],
                tokens=doc,
                tokens_indices=[t.idx for t in doc],
                lemmas=[t.lower_ for t in doc],
                nlp_engine=self,
                language=language,
                scores=[],
            )

        def process_text(self, text: str, language: str) -> Any:
            return self._artifacts(self._nlp(language)(text), language)

        def process_batch(self, texts, language, batch_size=1, n_process=1, as_tuples=False, **kw):
            nlp = self._nlp(language)
            for item in texts:
                text, context = item if as_tuples else (item, None)
                artifacts = self._artifacts(nlp(str(text)), language)
                yield (str(text), artifacts, context) if as_tuples else (str(text), artifacts)

        def is_stopword(self, word: str, language: str) -> bool:
            return self._nlp(language).vocab[word].is_stop

        def is_punct(self, word: str, language: str) -> bool:
            return self._nlp(language).vocab[word].is_punct

        def get_supported_entities(self) -> list[str]:
            return []

        def get_supported_languages(self) -> list[str]:
            return [self.language]

    return BlankSpacyTokensNlpEngine()


class PresidioBaseline:
    """Presidio AnalyzerEngine, English, pattern recognizers only, built once.

    analyze() returns (our_entity_type, start, end, score) for every Presidio result whose entity
    maps into PRESIDIO_TO_OURS, at Presidio's default score threshold: 0.0 (AnalyzerEngine's
    `default_score_threshold`; no predefined recognizer sets its own), i.e. every match with a
    non-zero score, including "very weak" patterns (0.01-0.1). Filter on score to compare at
    other operating points.

    nlp: "tokens" (default; context words count) or "none" (Presidio's NoOpNlpEngine).
    recognizers: "mapped" (default: only the recognizers whose entities map to ours; their
    results are identical to the full set's, since Presidio dedups per entity type) or
    "all" (Presidio's default English set plus the four US extras).
    """

    language = "en"

    def __init__(self, *, nlp: str = "tokens", recognizers: str = "mapped") -> None:
        if nlp not in ("tokens", "none"):
            raise ValueError("nlp must be 'tokens' or 'none'")
        if recognizers not in ("mapped", "all"):
            raise ValueError("recognizers must be 'mapped' or 'all'")
        _, predefined = _import_presidio()
        from importlib.metadata import version

        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        recs = []
        for name in _DEFAULT_EN + _EXTRA_US:
            rec = (
                _offline_email_recognizer(predefined)
                if name == "EmailRecognizer"
                else getattr(predefined, name)(supported_language=self.language)
            )
            if recognizers == "all" or any(e in PRESIDIO_TO_OURS for e in rec.supported_entities):
                recs.append(rec)

        if nlp == "tokens":
            nlp_engine = _tokens_nlp_engine()
        else:
            nlp_engine = NoOpNlpEngine(models=[{"lang_code": self.language, "model_name": "no_op"}])
        nlp_engine.load()
        registry = RecognizerRegistry(recognizers=recs, supported_languages=[self.language])
        # The default context enhancer (LemmaContextAwareEnhancer) is created by the engine; with
        # NoOpNlpEngine it can only use context passed to analyze(), which we never pass.
        self.engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[self.language])
        self.score_threshold = self.engine.default_score_threshold
        self.recognizer_names = [r.name for r in recs]
        engine_text = (
            "spaCy blank('en') tokenizer for context words, lower-cased tokens as lemmas"
            if nlp == "tokens"
            else "NoOpNlpEngine, no context words from the text"
        )
        self.description = (
            f"presidio-analyzer {version('presidio-analyzer')} (spaCy {version('spacy')}, "
            f"tldextract {version('tldextract')} bundled suffix-list snapshot): "
            f"pattern recognizers only, no spaCy model; English; NLP engine: {engine_text}; "
            f"score threshold {self.score_threshold} (Presidio's default); recognizers: "
            f"{', '.join(self.recognizer_names)} (EmailRecognizer with an offline tldextract)"
        )

    def analyze(self, text: str) -> list[tuple[str, int, int, float]]:
        results = self.engine.analyze(text=text, language=self.language)
        out = [
            (PRESIDIO_TO_OURS[r.entity_type], r.start, r.end, float(r.score))
            for r in results
            if r.entity_type in PRESIDIO_TO_OURS
        ]
        out.sort(key=lambda f: (f[1], f[2], f[0]))
        return out


def synthetic_clinical_text(size: int = 1_000_000, seed: int = 7, share: float = 0.1) -> str:
    """English clinical-style prose, `share` of its lines carrying identifiers (for timing only)."""
    rng = random.Random(seed)

    def luhn_digit(body: str) -> str:
        total = 0
        for i, ch in enumerate(reversed(body)):
            d = int(ch) * (2 if i % 2 == 0 else 1)
            total += d - 9 if d > 9 else d
        return str((10 - total % 10) % 10)

    def card() -> str:
        body = "4" + "".join(rng.choice("0123456789") for _ in range(14))
        n = body + luhn_digit(body)
        return " ".join(n[i : i + 4] for i in range(0, 16, 4))

    def ssn() -> str:
        return f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"

    def phone() -> str:
        return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"

    def date() -> str:
        return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1940, 2024)}"

    first = ["Maria", "James", "Aisha", "Robert", "Chen", "Olivia", "Diego", "Fatima"]
    last = ["Lopez", "Smith", "Khan", "Nguyen", "Okafor", "Miller", "Rossi", "Cohen"]
    prose = [
        "Patient presents with intermittent chest discomfort radiating to the left arm.",
        "Assessment and plan reviewed with the patient; labs to be repeated in four weeks.",
        "Metformin was continued at the current dose and the A1c goal was discussed.",
        "No acute distress noted; vitals stable and within normal limits on arrival.",
        "Follow-up imaging is recommended if symptoms persist beyond two weeks.",
        "The referral letter and discharge summary are attached for your records.",
    ]
    templates = [
        lambda: f"Patient {rng.choice(first)} {rng.choice(last)}, DOB {date()}, SSN {ssn()}.",
        lambda: f"Please call the clinic at {phone()} or the pharmacy at {phone()}.",
        lambda: f"Contact {rng.choice(first).lower()}.{rng.choice(last).lower()}@valleyclinic.org with questions.",
        lambda: f"Copay charged to Visa card {card()} on {date()}.",
        lambda: f"Seen on {date()}; next visit scheduled for {date()}.",
    ]
    parts: list[str] = []
    length = 0
    while length < size:
        line = rng.choice(templates)() if rng.random() < share else rng.choice(prose)
        parts.append(line)
        length += len(line) + 1
    return "\n".join(parts)[:size]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.presidio_baseline")
    parser.add_argument("--nlp", choices=("tokens", "none"), default="tokens")
    parser.add_argument("--recognizers", choices=("mapped", "all"), default="mapped")
    parser.add_argument("--share", type=float, default=0.1, help="share of lines with identifiers")
    parser.add_argument("--chunk", type=int, default=20_000, help="characters per analyze() call")
    args = parser.parse_args(argv)
    text = synthetic_clinical_text(share=args.share)
    chunks = [text[i : i + args.chunk] for i in range(0, len(text), args.chunk)]
    mb = len(text.encode()) / 1e6
    start = time.perf_counter()
    _import_presidio()
    imported = time.perf_counter() - start
    start = time.perf_counter()
    baseline = PresidioBaseline(nlp=args.nlp, recognizers=args.recognizers)
    built = time.perf_counter() - start
    start = time.perf_counter()
    baseline.analyze("first call: jane@example.org, (212) 555-0187, SSN 123-45-6789")
    first = time.perf_counter() - start
    start = time.perf_counter()
    found = sum(len(baseline.analyze(c)) for c in chunks)
    elapsed = time.perf_counter() - start
    print(baseline.description)
    print(f"import {imported:.2f} s, construct {built:.3f} s, first analyze() {first * 1e3:.1f} ms")
    print(
        f"{mb / elapsed:.3f} MB/s: {mb:.2f} MB in {len(chunks)} calls of {args.chunk} chars, "
        f"{elapsed:.1f} s, {found} findings (identifier share {args.share})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
