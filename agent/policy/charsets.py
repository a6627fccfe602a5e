"""Text out of bytes: by the declared charset, by the byte pattern of UTF-16/32, and with
bytes that do not decode read one by one instead of giving up on the whole text."""

from __future__ import annotations

import codecs

UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_BYTE_AS_CP1252 = "postseal-byte-as-cp1252"

# Labels mail programs write for a narrower charset than they use, read as the superset the
# WHATWG Encoding Standard (encoding.spec.whatwg.org, "Encodings" table) maps them to, as
# browsers and webmail do: GB2312 text written with GBK characters, EUC-KR with CP949 ones,
# Shift_JIS with Windows-31J ones, ISO-8859-1 with windows-1252's curly quotes. Each superset
# reads its label's text unchanged. (US-ASCII, which the standard also maps to windows-1252,
# is tried as UTF-8 first: see decode_text.)
_SUPERSETS = {
    "gb2312": "gbk",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "big5": "big5hkscs",
}


# The bytes counted as text on the ASCII side of a UTF-16/32 unit: printable ASCII, tab, LF, CR.
_PRINTABLE = bytes([*range(32, 127), 9, 10, 13])


def _byte_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the bytes that do not decode, each read as windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error(_BYTE_AS_CP1252, _byte_as_cp1252)


def _codec(charset: str | None) -> str:
    """Python's name for a declared charset; "" when absent or unknown."""
    if not charset:
        return ""
    try:
        return codecs.lookup(charset).name.replace("-", "_")
    except (LookupError, ValueError):  # also a label with NUL in it
        return ""


def _wide_encoding(data: bytes, charset: str | None) -> str | None:
    """The codec of UTF-16 or UTF-32 text, which is not ASCII-compatible: read as bytes,
    "512-44-8721" becomes "5\\x001\\x002…" and passes every detector unseen. Told by its BOM,
    by a declared charset, or (no BOM, charset absent or wrong) by the pattern of ASCII-range
    characters, each code unit of which is one ASCII byte and NUL bytes on the same side."""
    # UTF-32 first: its little-endian BOM begins with UTF-16's.
    if data[:4] in UTF32_BOMS:
        return "utf-32"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    try:
        declared = codecs.lookup(charset).name if charset else ""
    except (LookupError, ValueError):  # also a label with NUL in it
        declared = ""
    if declared.startswith(("utf-16", "utf-32")):
        return declared
    sample = data[:4096]
    if len(sample) < 8:
        return None
    for width, codec in ((4, "utf-32-le"), (4, "utf-32-be"), (2, "utf-16-le"), (2, "utf-16-be")):
        units = sample[: len(sample) // width * width]
        low = 0 if codec.endswith("le") else width - 1  # where the ASCII byte of each unit is
        text_side = units[low::width]
        nul_side = b"".join(units[i::width] for i in range(width) if i != low)
        if nul_side.count(0) < 0.9 * len(nul_side):
            continue  # ordinary 8-bit text ends here, before the printable count below
        printable = len(text_side) - len(text_side.translate(None, _PRINTABLE))
        if printable >= 0.9 * len(text_side):
            return codec
    return None


def as_ascii_compatible(data: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """UTF-16/32 text re-encoded as UTF-8 (and the charset that now applies), so that what
    sniffs and reads bytes sees characters; anything else unchanged. Text that does not
    decode under its wide encoding stays as it is (and is then binary: not inspectable)."""
    codec = _wide_encoding(data, charset)
    if codec is None:
        return data, charset
    try:
        return data.decode(codec).encode("utf-8"), "utf-8"
    except UnicodeError:
        return data, charset


def decode_text(data: bytes, charset: str | None = None) -> str:
    """The text of `data`, by its declared charset where that reads it.

    Where neither the declared charset (or its superset, _SUPERSETS) nor UTF-8 reads every
    byte, the text is still read by its charset (UTF-8 when none or ASCII is declared) and
    only the bytes that do not decode are read alone, as windows-1252: one stray byte in a UTF-8 part must not turn the
    whole part into cp1252 mojibake, where every non-ASCII word is lost to the detectors,
    and a Latin-1 "ü" in a part labelled UTF-8 is still "ü"."""
    codec = _wide_encoding(data, charset)
    if codec:
        return data.decode(codec, errors="replace")
    declared = _SUPERSETS.get(_codec(charset), _codec(charset))
    # A part labelled ASCII (or unlabelled) is most often UTF-8 its program did not say.
    order = ("ascii", "utf_8", "cp1252") if declared == "ascii" else (declared, "utf_8")
    for encoding in order:
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (ValueError, LookupError):  # also "undefined" (UnicodeError)
            continue
    tolerant = declared if declared not in ("", "ascii") else "utf_8"
    try:
        return data.decode(tolerant, errors=_BYTE_AS_CP1252)
    except (LookupError, ValueError):  # a codec that decodes nothing ("undefined") raises UnicodeError
        return data.decode("utf_8", errors=_BYTE_AS_CP1252)
