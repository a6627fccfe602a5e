"""Scanned pages are read with the real Tesseract: a faxed referral's PHI is found; what OCR
cannot read (blank, noise, a pixel bomb, over its time) stays a finding saying why."""

from __future__ import annotations

import io
import random
import struct
import zlib
from email.message import EmailMessage

import pytest
from PIL import Image, ImageDraw, ImageFont

from agent.policy import ocr, sandbox
from agent.policy.extract import extract
from agent.policy.inspect import inspect
from agent.policy.ocr import OcrBudget

needs_tesseract = pytest.mark.skipif(
    not ocr.engine()[0], reason="tesseract-ocr is installed by scripts/ensure-system.sh"
)

REFERRAL = ["REFERRAL - Valley Family Clinic", "Patient: Dolores Whitfield  DOB: 03/14/1961  SSN 512-44-8721"]


def scan(lines: list[str], width: int = 1700) -> Image.Image:
    """A bilevel page band as a fax machine sends it: 200 dpi, black text on white."""
    page = Image.new("L", (width, 80 + 60 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=34)  # Pillow's own TrueType font: no system font needed
    for number, line in enumerate(lines):
        draw.text((60, 40 + 60 * number), line, font=font, fill=0)
    return page.convert("1")


def encoded(pages: list[Image.Image], kind: str, **options) -> bytes:
    out = io.BytesIO()
    more = {"save_all": True, "append_images": pages[1:]} if len(pages) > 1 else {}
    pages[0].save(out, kind, **more, **options)
    return out.getvalue()


def message(*attachments: tuple[bytes, str, str]) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "dr.chen@valleyclinic.example", "x@partner.example", "Referral"
    m.set_content("Please see the attached.")
    for data, content_type, filename in attachments:
        maintype, subtype = content_type.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return m


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels, with one small IDAT: the bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module", autouse=True)
def _stop_sandbox():
    yield
    sandbox.close()


@needs_tesseract
def test_a_scanned_pdf_and_a_faxed_tiff_are_read_and_their_phi_found():
    pdf = encoded([scan(REFERRAL)], "PDF", resolution=200)
    tiff = encoded([scan(REFERRAL)], "TIFF", compression="group4", dpi=(200, 200))
    findings = inspect(message((pdf, "application/pdf", "referral.pdf"), (tiff, "image/tiff", "fax.tif")))
    for where in ("attachment:referral.pdf", "attachment:fax.tif"):
        kinds = {f.type for f in findings if f.location == where}
        assert {"us_ssn", "dob"} <= kinds and "uninspectable_attachment" not in kinds, (where, kinds)


@needs_tesseract
def test_a_blank_page_of_a_tiff_is_reported_and_the_page_with_text_still_read():
    tiff = encoded([scan(REFERRAL), Image.new("1", (1700, 300), 1)], "TIFF", compression="group4")
    findings = inspect(message((tiff, "image/tiff", "fax.tif")))
    assert "us_ssn" in {f.type for f in findings}
    [unread] = [f for f in findings if f.type == "uninspectable_attachment"]
    assert unread.detail == "TIFF only partly read: page 2: no text found (blank, a photo, or too unclear to read)"


@needs_tesseract
def test_noise_and_blank_images_stay_uninspectable():
    rng = random.Random(7)
    noise = Image.frombytes("L", (400, 300), bytes(rng.getrandbits(8) for _ in range(400 * 300)))
    attachments = [(encoded([noise], "PNG"), "image/png", "photo.png")]
    attachments.append((encoded([Image.new("RGB", (500, 300), "white")], "JPEG"), "image/jpeg", "blank.jpg"))
    findings = inspect(message(*attachments))
    for name, format_ in (("photo.png", "PNG"), ("blank.jpg", "JPEG")):
        [finding] = [f for f in findings if f.location == f"attachment:{name}"]
        assert finding.type == "uninspectable_attachment"
        assert finding.detail.startswith(f"{format_} ") and "no text found" in finding.detail


@needs_tesseract
@pytest.mark.parametrize("side", [7_000, 60_000])  # 49 M pixels: Pillow only warns; 3.6 G: Pillow refuses
def test_a_pixel_bomb_is_refused_with_a_finding_not_decoded(side):
    [finding] = inspect(message((png_claiming(side, side), "image/png", "bomb.png")))[-1:]
    assert finding.type == "uninspectable_attachment" and finding.location == "attachment:bomb.png"
    assert "over the limit of 40,000,000 pixels (refused unread" in finding.detail


@needs_tesseract
def test_a_page_over_its_time_budget_is_a_finding():
    pdf = encoded([scan(REFERRAL)], "PDF", resolution=200)
    result = sandbox.extract_rich("pdf", pdf, "attachment:slow.pdf", OcrBudget(page_seconds=0.001))
    [finding] = result.findings
    assert finding.type == "uninspectable_attachment"
    assert finding.detail == (
        "PDF has 1 of 1 page(s) without a text layer (scanned) that OCR did not read: "
        "page 1: took longer than 0.001 s to OCR"
    )


@needs_tesseract
def test_the_message_budget_is_shared_and_pages_past_the_limits_are_findings():
    budget = OcrBudget()
    tiff = encoded([scan(REFERRAL)] * 3, "TIFF", compression="group4")
    [first] = extract(tiff, "fax.tif", "image/tiff", "attachment:fax.tif", ocr=OcrBudget(max_pages=1))
    assert "512-44-8721" in first.text
    assert first.findings[0].detail == "TIFF only partly read: 2 more page(s) not OCR'd (at most 1 a file)"
    [read] = extract(tiff, "a.tif", "image/tiff", "attachment:a.tif", ocr=budget)
    assert not read.findings and budget.seconds < ocr.MESSAGE_SECONDS  # what OCR took is spent
    budget.seconds = 0.0
    [late] = extract(tiff, "b.tif", "image/tiff", "attachment:b.tif", ocr=budget)
    assert (
        late.findings[0].detail == "TIFF could not be read by OCR: 3 page(s) not OCR'd: the message's OCR time is spent"
    )


def test_without_tesseract_a_scan_stays_a_finding_that_says_ocr_is_not_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # the worker finds no tesseract program
    sandbox.close()
    try:
        pdf = encoded([scan(REFERRAL)], "PDF", resolution=200)
        [finding] = inspect(message((pdf, "application/pdf", "referral.pdf")))[-1:]
    finally:
        monkeypatch.undo()
        sandbox.close()
    assert finding.type == "uninspectable_attachment"
    assert finding.detail == (
        "PDF has 1 of 1 page(s) without a text layer (scanned) that OCR did not read: "
        "OCR is not installed (the tesseract program, Debian package tesseract-ocr)"
    )
