"""PDF, DOCX and XLSX parsing in a separate process with a time and a memory limit.

These parsers are large and fed by strangers: a crafted PDF can loop, a spreadsheet can
claim a billion cells. They run in a worker process (`python -m agent.policy.sandbox`,
started once and reused) under RLIMIT_AS; a parse that takes longer than TIMEOUT seconds
is killed with its process and the next attachment gets a fresh one. The worker is a plain
child process speaking a length-prefixed protocol on its pipes — not multiprocessing, whose
spawn and forkserver modes re-import the parent's __main__ (a script, a REPL, an embedding
application) in the child. Any failure is a finding naming the format and what went wrong:
never a pass, never a crash of the agent.
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

from agent.policy import tables
from agent.policy.extract import MAX_TEXT_CHARS, Extracted, finding, uninspectable

log = logging.getLogger(__name__)

TIMEOUT = 20.0  # seconds per attachment
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


def _pdf(data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):  # an owner password only (printing limits) opens with ""
                return "", "encrypted"
        except Exception:  # noqa: BLE001 - pypdf raises many types for broken crypto
            return "", "encrypted"
    pages, blank = [], 0
    for number, page in enumerate(reader.pages):
        if number >= MAX_PAGES:
            return "\n".join(pages), f"more than {MAX_PAGES} pages"
        text = page.extract_text() or ""
        blank += not text.strip()
        pages.append(text)
    # A page without a text layer is a scan or a fax — the most common way PHI travels —
    # and we do not OCR: it is reported, not passed.
    if not pages:
        return "", "has no pages"
    if blank:
        return "\n".join(pages), f"has {blank} of {len(pages)} page(s) without a text layer (scanned image?)"
    return "\n".join(pages), ""


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


_READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx}


def _run(kind: str, data: bytes) -> tuple[str, str]:
    """In the worker. Returns (text, problem); problem "" when everything was read."""
    try:
        text, problem = _READERS[kind](data)
    except MemoryError:
        return "", "needs more memory than allowed"
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises is "cannot be read"
        return "", f"cannot be parsed ({type(exc).__name__})"
    return text[:MAX_TEXT_CHARS], problem


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

    def ask(self, kind: str, data: bytes, timeout: float) -> tuple[str, str]:
        """(text, problem); raises TimeoutError or EOFError (the worker died)."""
        answer: list[bytes] = []
        failure: list[BaseException] = []

        def exchange() -> None:
            try:
                self.process.stdin.write(kind.encode().ljust(8) + _HEADER.pack(len(data)) + data)
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
        return reply["text"], reply["problem"]

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
            data = _read_exactly(stdin, _HEADER.unpack(_read_exactly(stdin, _HEADER.size))[0])
        except EOFError:
            return
        text, problem = _run(kind, data)
        reply = json.dumps({"text": text, "problem": problem}).encode()
        stdout.write(_HEADER.pack(len(reply)) + reply)
        stdout.flush()


def extract_rich(kind: str, data: bytes, location: str) -> Extracted:
    global _worker
    name = kind.upper()
    with _lock:  # one worker, one attachment at a time
        if _worker is None or _worker.process.poll() is not None:
            _worker = _Worker()
        try:
            text, problem = _worker.ask(kind, data, TIMEOUT)
        except TimeoutError:
            _worker = None
            return uninspectable(location, f"{name} took longer than {TIMEOUT:g} s to read")
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
