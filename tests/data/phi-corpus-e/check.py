#!/usr/bin/env python3
"""Check corpus E: every labelled value occurs in the extracted text of its message at least as
often as it is labelled. Run with .venv/bin/python tests/data/phi-corpus-e/check.py [-v] from the repository's root"""
import os
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))  # the repository
import json, os, re, unicodedata
from collections import Counter
from email import policy
from email.parser import BytesParser
from agent.policy.inspect import extract_all
from agent.policy.scanner import normalize

HERE = os.path.dirname(os.path.abspath(__file__))
WORDISH = {"patient_name", "us_address", "email"}
FILE_LEVEL = {"hl7_patient_data", "fhir_patient_data", "encrypted_archive", "uninspectable_attachment"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm_value(s):
    return unicodedata.normalize("NFKC", s).translate(ZW)


def wordish(s):
    return re.sub(r"\W+", " ", s.lower()).strip()


def alnum(s):
    return re.sub(r"[^0-9A-Za-z]", "", s).upper() if s.isascii() else "".join(ch for ch in s if ch.isalnum()).upper()


def attachment_names(msg):
    names = []
    for part in msg.walk():
        fn = part.get_filename()
        if fn:
            names.append(fn)
    return names


def main():
    verbose = "-v" in sys.argv
    labels = json.load(open(os.path.join(HERE, "labels.json"), encoding="utf-8"))
    files = sorted(os.listdir(os.path.join(HERE, "messages")))
    problems = 0
    assert set(files) == set(labels), "labels.json and messages/ disagree"
    totals = Counter()
    for name in files:
        path = os.path.join(HERE, "messages", name)
        raw = open(path, "rb").read()
        assert b"\r\n" not in raw.split(b"\n\n", 1)[0], name + ": CRLF in headers"
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        texts = [normalize(item.text) for item in extract_all(msg) if item.text]
        joined = "\n".join(texts)
        w_text = " " + wordish(joined) + " "
        a_text = alnum(joined)
        att = attachment_names(msg)
        for typ, values in labels[name].items():
            for v, n in Counter(values).items():
                totals[typ] += n
                if typ in FILE_LEVEL:
                    base = v.split(".zip/")[0] + ".zip" if ".zip/" in v else v
                    if base not in att:
                        problems += 1
                        print("%s: %s file %r not attached" % (name, typ, v))
                    continue
                nv = norm_value(v)
                if typ in WORDISH:
                    found = w_text.count(" " + wordish(nv) + " ")
                    if found < n:  # overlapping matches (adjacent repeats) counted by regex
                        found = len(re.findall(r"(?<!\w)%s(?!\w)" % re.escape(wordish(nv)), w_text))
                else:
                    found = a_text.count(alnum(nv))
                if found < n:
                    problems += 1
                    print("%s: %s %r labelled %d, found %d" % (name, typ, v, n, found))
                elif verbose and found > n:
                    print("note %s: %s %r labelled %d, found %d (substring of other text)" % (name, typ, v, n, found))
    neg = sum(1 for k in labels if not labels[k])
    print("messages: %d (no PHI: %d), labelled values: %d" % (len(files), neg, sum(totals.values())))
    for t, c in sorted(totals.items()):
        print("  %-26s %d" % (t, c))
    if problems:
        print("FAILED: %d problems" % problems)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
