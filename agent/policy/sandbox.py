"""PDF, DOCX and XLSX parsing in a separate process with a time and a memory limit.

These parsers are large and fed by strangers: a crafted PDF can loop, a spreadsheet can
claim a billion cells. Each runs in a worker process (forkserver: no copy of the agent's
threads or secrets beyond what the parser is handed) under RLIMIT_AS; a parse that takes
longer than TIMEOUT seconds is killed with its process. Any failure is a finding naming
the format and what went wrong — never a pass, never a crash of the agent.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import multiprocessing
import threading
from concurrent.futures.process import BrokenProcessPool

from agent.policy.extract import MAX_TEXT_CHARS, Extracted, _finding, uninspectable

log = logging.getLogger(__name__)

TIMEOUT = 20.0  # seconds per attachment
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the worker
MAX_PAGES = 2000
MAX_CELLS = 2_000_000

_pool: concurrent.futures.ProcessPoolExecutor | None = None
_lock = threading.Lock()


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
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    for section in document.sections:
        for area in (section.header, section.footer):
            parts.extend(p.text for p in area.paragraphs)
    return "\n".join(parts), ""


def _xlsx(data: bytes) -> tuple[str, str]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines, cells = [], 0
    for sheet in book.worksheets:
        lines.append(f"sheet {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            values = ["" if v is None else str(v) for v in row]
            cells += len(values)
            if cells > MAX_CELLS:
                return "\n".join(lines), f"more than {MAX_CELLS} cells"
            lines.append("\t".join(values).rstrip())
    return "\n".join(lines), ""


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


def _executor() -> concurrent.futures.ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
            _pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_limit_memory)
        return _pool


def _reset() -> None:
    """Kill the worker (it hangs or died) so the next attachment gets a fresh one."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


def extract_rich(kind: str, data: bytes, location: str) -> Extracted:
    name = kind.upper()
    try:
        future = _executor().submit(_run, kind, data)
        text, problem = future.result(timeout=TIMEOUT)
    except concurrent.futures.TimeoutError:
        _reset()
        return uninspectable(location, f"{name} took longer than {TIMEOUT:g} s to read")
    except BrokenProcessPool:
        _reset()
        return uninspectable(location, f"{name} reader crashed or ran out of memory")
    if problem == "encrypted":
        return Extracted(location, "", [_finding("encrypted_archive", location, f"encrypted {name}")])
    if problem and not text:
        return uninspectable(location, f"{name} {problem}")
    result = Extracted(location, text)
    if problem:  # partly read: what was read is scanned, the rest is a finding
        result.findings.append(_finding("uninspectable_attachment", location, f"{name} only partly read: {problem}"))
    return result


def close() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
