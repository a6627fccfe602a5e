"""PDF, DOCX, XLSX parsing and OCR of scanned pages in a separate process with a time and a
memory limit.

These parsers are large and fed by strangers: a crafted PDF can loop, a spreadsheet can
claim a billion cells. They run in a worker process (`python -m agent.policy.sandbox`,
started once and reused) under RLIMIT_AS; a parse that takes longer than TIMEOUT seconds
is killed with its process and the next attachment gets a fresh one. The worker is a plain
child process speaking a length-prefixed protocol on its pipes — not multiprocessing, whose
spawn and forkserver modes re-import the parent's __main__ (a script, a REPL, an embedding
application) in the child. Any failure is a finding naming the format and what went wrong:
never a pass, never a crash of the agent.

Pages without a text layer and image attachments are OCR'd here too (ocr.py), within the
message's OcrBudget, which each request carries: the worker's answer says how many seconds
OCR took, and the agent takes them off the budget for the message's next attachment.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import struct
import subprocess
import sys
import threading

from agent.policy import ocr, tables
from agent.policy.extract import MAX_TEXT_CHARS, Extracted, finding, uninspectable
from agent.policy.ocr import OcrBudget

log = logging.getLogger(__name__)

TIMEOUT = 20.0  # seconds per attachment, plus what OCR may still spend on the message
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the worker
MAX_PAGES = 2000
MAX_CELLS = 2_000_000
_HEADER = struct.Struct(">Q")


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # not on this platform: the timeout still holds
        pass


def _pdf(data: bytes, budget: dict) -> tuple[str, str, float]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):  # an owner password only (printing limits) opens with ""
                return "", "encrypted", 0.0
        except Exception:  # noqa: BLE001 - pypdf raises many types for broken crypto
            return "", "encrypted", 0.0
    pages = []
    for number, page in enumerate(reader.pages):
        if number >= MAX_PAGES:
            return "\n".join(pages), f"more than {MAX_PAGES} pages", 0.0
        pages.append(page.extract_text() or "")
    if not pages:
        return "", "has no pages", 0.0
    # A page without a text layer is a scan or a fax — the most common way PHI travels: it
    # is OCR'd, and what OCR cannot read is reported, not passed.
    blank = [number for number, text in enumerate(pages, 1) if not text.strip()]
    if not blank:
        return "\n".join(pages), "", 0.0
    result = ocr.pdf_pages(data, blank, budget)
    for number, text in result.texts.items():
        pages[number - 1] = text
    if not result.problems:
        return "\n".join(pages), "", result.seconds
    why = f"has {len(blank)} of {len(pages)} page(s) without a text layer (scanned) that OCR did not read: "
    return "\n".join(pages), why + result.summary(), result.seconds


def _image(data: bytes, budget: dict) -> tuple[str, str, float]:
    result = ocr.image_pages(data, budget)
    text = "\n".join(result.texts[number] for number in sorted(result.texts))
    if result.problems and not result.read:
        return text, f"could not be read by OCR: {result.summary()}", result.seconds
    return text, result.summary(), result.seconds


def _docx(data: bytes) -> tuple[str, str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.append(tables.render([[cell.text for cell in row.cells] for row in table.rows]))
    for section in document.sections:
        for area in (section.header, section.footer):
            parts.extend(p.text for p in area.paragraphs)
    return "\n".join(parts), ""


def _xlsx(data: bytes) -> tuple[str, str]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines, cells = [], 0
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(v) for v in row])
            cells += len(row)
            if cells > MAX_CELLS:
                lines += [f"sheet {sheet.title}", tables.render(rows)]
                return "\n".join(lines), f"more than {MAX_CELLS} cells"
        lines += [f"sheet {sheet.title}", tables.render(rows)]
    return "\n".join(lines), ""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()  # a date typed into Excel, not a timestamp
    return str(value)


_READERS = {"docx": _docx, "xlsx": _xlsx}
_OCR_READERS = {"pdf": _pdf, "image": _image}  # these may OCR, within the request's budget


def _run(kind: str, data: bytes, budget: dict) -> tuple[str, str, float]:
    """In the worker. Returns (text, problem, OCR seconds); problem "" when everything was read."""
    try:
        if kind in _OCR_READERS:
            text, problem, seconds = _OCR_READERS[kind](data, budget)
        else:
            text, problem, seconds = (*_READERS[kind](data), 0.0)
    except MemoryError:
        return "", "needs more memory than allowed", 0.0
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises is "cannot be read"
        return "", f"cannot be parsed ({type(exc).__name__})", 0.0
    return text[:MAX_TEXT_CHARS], problem, seconds


def _read_exactly(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the worker closed its output")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.policy.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            preexec_fn=_limit_memory if os.name == "posix" else None,
        )

    def ask(self, kind: str, data: bytes, budget: dict, timeout: float) -> tuple[str, str, float]:
        """(text, problem, OCR seconds); raises TimeoutError or EOFError (the worker died)."""
        answer: list[bytes] = []
        failure: list[BaseException] = []

        def exchange() -> None:
            try:
                options = json.dumps(budget).encode()
                self.process.stdin.write(
                    kind.encode().ljust(8) + _HEADER.pack(len(options)) + options + _HEADER.pack(len(data)) + data
                )
                self.process.stdin.flush()
                size = _HEADER.unpack(_read_exactly(self.process.stdout, _HEADER.size))[0]
                answer.append(_read_exactly(self.process.stdout, size))
            except (OSError, EOFError, ValueError, struct.error) as exc:
                failure.append(exc)

        talker = threading.Thread(target=exchange, daemon=True)
        talker.start()
        talker.join(timeout)
        if talker.is_alive():
            self.kill()  # unblocks the read
            talker.join(5)
            raise TimeoutError
        if failure or not answer:
            self.kill()
            raise EOFError(str(failure[0]) if failure else "no answer")
        reply = json.loads(answer[0])
        return reply["text"], reply["problem"], reply["ocr_seconds"]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


_worker: _Worker | None = None
_lock = threading.Lock()


def serve() -> None:
    """The worker's loop: one request at a time from stdin, answers on stdout."""
    logging.disable(logging.CRITICAL)  # parsers' warnings about broken files are not for anyone
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            kind = _read_exactly(stdin, 8).decode().strip()
            budget = json.loads(_read_exactly(stdin, _HEADER.unpack(_read_exactly(stdin, _HEADER.size))[0]))
            data = _read_exactly(stdin, _HEADER.unpack(_read_exactly(stdin, _HEADER.size))[0])
        except EOFError:
            return
        text, problem, seconds = _run(kind, data, budget)
        reply = json.dumps({"text": text, "problem": problem, "ocr_seconds": seconds}).encode()
        stdout.write(_HEADER.pack(len(reply)) + reply)
        stdout.flush()


def extract_rich(kind: str, data: bytes, location: str, budget: OcrBudget | None = None) -> Extracted:
    """Text of a PDF, DOCX, XLSX or image ("image": PNG, JPEG, TIFF) read in the worker; OCR
    spends from `budget` (the message's; a fresh one when none is given)."""
    global _worker
    budget = budget if budget is not None else OcrBudget()
    name = (ocr.image_format(data) or "Image") if kind == "image" else kind.upper()
    timeout = TIMEOUT + (max(budget.seconds, 0.0) if kind in _OCR_READERS else 0.0)
    with _lock:  # one worker, one attachment at a time
        if _worker is None or _worker.process.poll() is not None:
            _worker = _Worker()
        try:
            text, problem, seconds = _worker.ask(kind, data, budget.as_request(), timeout)
            budget.seconds -= seconds
        except TimeoutError:
            _worker = None
            budget.seconds = 0.0  # the message has waited for OCR long enough
            return uninspectable(location, f"{name} took longer than {timeout:g} s to read")
        except (EOFError, OSError, ValueError):
            _worker = None
            return uninspectable(location, f"{name} reader crashed or ran out of memory")
    if problem == "encrypted":
        return Extracted(location, "", [finding("encrypted_archive", location, f"encrypted {name}")])
    if problem and not text:
        return uninspectable(location, f"{name} {problem}")
    result = Extracted(location, text)
    if problem:  # partly read: what was read is scanned, the rest is a finding
        result.findings.append(finding("uninspectable_attachment", location, f"{name} only partly read: {problem}"))
    return result


def close() -> None:
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.kill()


if __name__ == "__main__":
    serve()
