"""Text out of scanned pages: OCR with Tesseract, run inside the sandboxed parsing worker.

A referral or a lab report faxed and scanned to PDF or TIFF is the most common PHI
attachment in a clinic. Pages without a text layer (in a PDF) and PNG, JPEG and TIFF
attachments are read with Tesseract, and their text is scanned like any other; what still
cannot be read stays an `uninspectable_attachment` finding saying why (OCR not installed, a
page over its time budget, the message's budget spent, more pages than are read, an image
over the pixel limit, no text found).

Choices, measured on this project's 2-core build machine (a letter page at 200 dpi, 30 lines):
- pytesseract, not tesserocr. pytesseract runs the `tesseract` program (Debian's
  `tesseract-ocr`) once per page with a timeout that kills it: a page that takes too long
  costs that page, not the worker; a missing program is a clean "not installed". tesserocr
  runs libtesseract in-process (saving ~0.1 s of start-up a page) but must be compiled
  against libtesseract-dev, and a slow page can then only be stopped by killing the worker.
- OMP_THREAD_LIMIT=1 for tesseract: 0.9 s a page with one thread; with its default OpenMP
  threads on a busy 2-core machine the same page took 4.8 s to 31 s (threads spin waiting
  for each other). Several attachments, and several agents' workers, never share one page.
- Pages are rendered with pypdfium2 (PDFium), not taken from pypdf's `page.images`: both give
  the same text on a plain scan (rendering costs 0.03-0.08 s a page, 5 % of the OCR), but a
  rendered page is what the recipient sees — JBIG2 (copiers' "compact PDF", which pypdf
  cannot decode without an extra program), masks over a background, rotated pages, a page
  in strips, text drawn as outlines — and its size in pixels is chosen here, never the
  file's: no image in the PDF can make us allocate more than MAX_RENDER_PIXELS.
- Pillow opens PNG, JPEG and TIFF (every page of a multi-page TIFF fax); an image whose
  header claims more than MAX_PIXELS is refused before its pixels are decoded.
- Languages: English, and Spanish too when `tesseract-ocr-spa` is installed (clinics get
  Spanish documents; reading both costs ~5 % more time).

Everything here runs in the worker (sandbox.py: RLIMIT_AS, a timeout); the agent's process
only keeps the message's OcrBudget.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# A page takes ~0.9 s at 200 dpi here; 10 s leaves room for a dense or noisy page and a slow,
# busy laptop, while a page crafted to make Tesseract work forever costs at most that.
PAGE_SECONDS = 10.0
# All OCR of one message (every attachment and archive member): ~30 pages at the measured
# speed — a long faxed record — while the sender waits at most that much longer.
MESSAGE_SECONDS = 30.0
# Pages OCR'd per attachment; the rest are a finding. A referral is 2-10 pages.
MAX_PAGES = 30
DPI = 200  # rendering resolution of PDF pages: fax quality (fine mode is 204×196 dpi)
# An image attachment above this is refused unread: legal paper at 600 dpi is 40 M pixels,
# a decompression bomb claims billions. (Pillow's own MAX_IMAGE_PIXELS is set to it too.)
MAX_PIXELS = 40_000_000
MAX_RENDER_PIXELS = 8_500_000  # a PDF page is rendered no larger (letter at 200 dpi: 3.7 M)
OCR_PIXELS = 9_000_000  # larger images are scaled down to this (~letter at 300 dpi) first
MIN_WORDS = 3  # fewer words read with confidence: no text found (blank, a photo, noise)
MIN_CONFIDENCE = 60  # Tesseract's word confidence (0-100) counted as read
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


@dataclass
class OcrBudget:
    """What OCR may still spend on one message; kept by the agent, sent with each request."""

    seconds: float = MESSAGE_SECONDS
    page_seconds: float = PAGE_SECONDS
    max_pages: int = MAX_PAGES

    def as_request(self) -> dict:
        return {"seconds": self.seconds, "page_seconds": self.page_seconds, "max_pages": self.max_pages}


@dataclass
class OcrResult:
    texts: dict[int, str] = field(default_factory=dict)  # page number (from 1) -> text
    problems: list[str] = field(default_factory=list)  # one per page or group of pages not read
    seconds: float = 0.0
    read: int = 0  # pages whose text was found (texts also holds what unclear pages gave)

    def summary(self) -> str:
        shown = self.problems[:3]
        more = len(self.problems) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def image_format(data: bytes) -> str:
    """PNG, JPEG or TIFF by the magic number; "" for anything else."""
    return next((name for magic, name in _IMAGE_MAGIC.items() if data.startswith(magic)), "")


# --- the engine ---------------------------------------------------------------------------------
_engine: tuple[str, str] | None = None


def engine() -> tuple[str, str]:
    """(languages for tesseract's -l, "") or ("", why OCR cannot run). Found once per worker;
    not found is asked again next time (~0.1 s), so installing Tesseract needs no restart."""
    global _engine
    if _engine is None:
        found = _find_engine()
        if not found[0]:
            return found
        _engine = found
    return _engine


def _find_engine() -> tuple[str, str]:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # see the docstring: threads make OCR slower here
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
        languages = set(pytesseract.get_languages(config=""))
    except ImportError:
        return "", "OCR is not installed (the pytesseract package is missing)"
    except Exception:  # noqa: BLE001 - TesseractNotFoundError, or a tesseract that does not run
        return "", "OCR is not installed (the tesseract program, Debian package tesseract-ocr)"
    if "eng" not in languages:
        return "", "OCR is not installed (no English language data, Debian package tesseract-ocr-eng)"
    return "+".join(lang for lang in ("eng", "spa") if lang in languages), ""


# --- one page -----------------------------------------------------------------------------------
def read_page(image, languages: str, seconds: float) -> tuple[str, str]:
    """(text, problem) of one page image; problem "" when text was found."""
    import pytesseract

    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        return (
            "",
            f"an image of {image.width}×{image.height} pixels, over the limit of {MAX_PIXELS:,} pixels (refused unread)",
        )
    image = image.convert("L")
    if pixels > OCR_PIXELS:
        ratio = math.sqrt(OCR_PIXELS / pixels)
        image = image.resize((max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))
    try:
        data = pytesseract.image_to_data(image, lang=languages, timeout=seconds, output_type=pytesseract.Output.DICT)
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            return "", f"took longer than {seconds:.3g} s to OCR"
        return "", f"OCR failed ({type(exc).__name__})"
    lines: dict[tuple[int, int, int], list[str]] = {}
    confident = 0
    for word, confidence, *where in zip(
        data["text"], data["conf"], data["block_num"], data["par_num"], data["line_num"], strict=True
    ):
        if word.strip():
            lines.setdefault(tuple(where), []).append(word)
            confident += float(confidence) >= MIN_CONFIDENCE and sum(c.isalnum() for c in word) >= 2
    text = "\n".join(" ".join(words) for words in lines.values())
    if confident < MIN_WORDS:
        # What was read is still scanned; the page is reported as not read.
        return text, "no text found (blank, a photo, or too unclear to read)"
    return text, ""


def read_pages(pages: Iterator[tuple[int, Callable[[], object]]], total: int, budget: dict) -> OcrResult:
    """OCR each (page number, image loader) within the budget; what is not read is a problem."""
    result = OcrResult()
    languages, missing = engine()
    if missing:
        result.problems.append(missing)
        return result
    left, page_seconds = float(budget["seconds"]), float(budget["page_seconds"])
    for done, (number, load) in enumerate(pages):
        if done >= int(budget["max_pages"]):
            result.problems.append(f"{total - done} more page(s) not OCR'd (at most {budget['max_pages']} a file)")
            break
        if left - result.seconds <= 0:
            result.problems.append(f"{total - done} page(s) not OCR'd: the message's OCR time is spent")
            break
        started = time.monotonic()
        seconds = min(page_seconds, left - result.seconds)
        try:
            text, problem = read_page(load(), languages, seconds)
        except MemoryError:
            text, problem = "", "needs more memory than allowed"
        except Exception as exc:  # noqa: BLE001 - whatever a decoder raises: this page is not read
            text, problem = "", _image_problem(exc)
        result.seconds += time.monotonic() - started
        if problem.startswith("took longer") and seconds < page_seconds:
            problem = "not finished when the message's OCR time ran out"
        if text:
            result.texts[number] = text
        if problem:
            result.problems.append(f"page {number}: {problem}")
        else:
            result.read += 1
    return result


def _image_problem(exc: Exception) -> str:
    from PIL import Image

    if isinstance(exc, Image.DecompressionBombError):
        return f"an image over the limit of {MAX_PIXELS:,} pixels (refused unread: a decompression bomb?)"
    return f"the image cannot be decoded ({type(exc).__name__})"


# --- where pages come from ----------------------------------------------------------------------
def pdf_pages(data: bytes, numbers: list[int], budget: dict) -> OcrResult:
    """OCR the given pages (from 1) of a PDF, each rendered at DPI."""
    try:
        import pypdfium2
    except ImportError:
        return OcrResult(problems=["OCR is not installed (the pypdfium2 package is missing)"])
    if engine()[1]:
        return read_pages(iter(()), len(numbers), budget)
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as exc:  # noqa: BLE001 - PdfiumError and kin: the pages cannot be rendered
        return OcrResult(problems=[f"its pages cannot be rendered for OCR ({type(exc).__name__})"])

    def render(number: int):
        page = document[number - 1]
        width, height = page.get_size()
        scale = min(DPI / 72, math.sqrt(MAX_RENDER_PIXELS / max(width * height, 1.0)))
        return page.render(scale=scale, grayscale=True).to_pil()

    try:
        return read_pages(((n, lambda n=n: render(n)) for n in numbers), len(numbers), budget)
    finally:
        document.close()


def image_pages(data: bytes, budget: dict) -> OcrResult:
    """OCR a PNG, JPEG or TIFF (every page of a multi-page TIFF)."""
    import io

    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses (at twice this) before decoding
    try:
        image = Image.open(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - a broken or unknown image
        return OcrResult(problems=[_image_problem(exc)])
    total = getattr(image, "n_frames", 1)
    # Each frame is handed over undecoded: read_page checks its size before its pixels load.
    frames = ((number, lambda frame=frame: frame) for number, frame in enumerate(ImageSequence.Iterator(image), 1))
    return read_pages(frames, total, budget)
