"""The CRX3 file format: sign a zip as a Chrome/Edge extension package, and read one back.

Why our own ~150 lines and not a package: the only CRX3 writer on PyPI (`crx3`, 0.0.x, one
maintainer) brings `protobuf` and a generated `crx3_pb2.py` tied to the protoc that made it,
for a format that needs three length-delimited protobuf fields. `cryptography` does the RSA.

The format, from Chromium's components/crx_file/crx3.proto and crx_verifier.cc:

    "Cr24" | uint32 LE version = 3 | uint32 LE N | N octets CrxFileHeader | zip archive

    message CrxFileHeader {
      repeated AsymmetricKeyProof sha256_with_rsa = 2;
      repeated AsymmetricKeyProof sha256_with_ecdsa = 3;
      optional bytes signed_header_data = 10000;   // a serialized SignedData
    }
    message AsymmetricKeyProof { optional bytes public_key = 1; optional bytes signature = 2; }
    message SignedData { optional bytes crx_id = 1; }   // 16 raw octets

Every proof signs "CRX3 SignedData\\x00" + uint32 LE len(signed_header_data) +
signed_header_data + archive. The verifier rejects a header over 256 KiB, any proof that
does not verify, and a file without a proof by the key whose ID is crx_id (the developer key).
The ID is the first 16 octets of SHA-256 over the DER SubjectPublicKeyInfo, written as 32
hex digits with 0-f mapped to a-p (components/crx_file/id_util.cc).

`tests/installers/test_crx3.py` checks this writer byte for byte against Chromium's own
`--pack-extension`, and the reader against its output.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

MAGIC = b"Cr24"
VERSION = 3
SIGNATURE_CONTEXT = b"CRX3 SignedData\x00"
MAX_HEADER = 1 << 18  # crx_verifier.cc kMaxHeaderSize
MIN_RSA_BITS = 2048

# Protobuf field numbers (crx3.proto).
_HEADER_RSA, _HEADER_ECDSA, _HEADER_SIGNED_DATA = 2, 3, 10000
_PROOF_KEY, _PROOF_SIGNATURE = 1, 2
_SIGNED_CRX_ID = 1


class CrxError(Exception):
    """A package or key that is not what it must be; the text says what."""


@dataclass(frozen=True)
class Crx:
    extension_id: str
    public_key: bytes  # DER SubjectPublicKeyInfo of the developer key
    archive: bytes  # the zip


def public_key_der(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def crx_id(public_key: bytes) -> bytes:
    return hashlib.sha256(public_key).digest()[:16]


def extension_id(public_key: bytes) -> str:
    """Chrome's extension ID for a DER SubjectPublicKeyInfo: 32 letters a-p."""
    return "".join(chr(ord("a") + int(digit, 16)) for digit in crx_id(public_key).hex())


def load_key(pem: bytes, source: str, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """An RSA private key (PKCS#8 or PKCS#1 PEM, as `chrome --pack-extension` writes)."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except TypeError as exc:  # a password missing for an encrypted key, or given for a plain one
        raise CrxError(f"{source}: {str(exc).rstrip('.')}") from None
    except ValueError as exc:
        raise CrxError(f"{source}: cannot be read as a PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CrxError(f"{source}: not an RSA key; Chrome extension IDs come from RSA keys")
    if key.key_size < MIN_RSA_BITS:
        raise CrxError(f"{source}: RSA key of {key.key_size} bits; use {MIN_RSA_BITS} or more")
    return key


# ---- protobuf, the few shapes this format uses ----------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise CrxError("the header is not a valid protobuf (a varint runs off the end)")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> list[tuple[int, bytes]]:
    """(field number, bytes) for every length-delimited field; other wire types are skipped,
    as a protobuf parser skips fields it does not know."""
    found: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _read_varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, pos = _read_varint(data, pos)
        elif wire == 1 or wire == 5:
            pos += 8 if wire == 1 else 4
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise CrxError("the header is not a valid protobuf (a field runs off the end)")
            found.append((number, data[pos : pos + length]))
            pos += length
        else:
            raise CrxError(f"the header is not a valid protobuf (wire type {wire})")
        if number == 0 or pos > len(data):
            raise CrxError("the header is not a valid protobuf")
    return found


# ---- writing and reading --------------------------------------------------------------------


def _signed_message(signed_header_data: bytes, archive: bytes) -> bytes:
    return SIGNATURE_CONTEXT + struct.pack("<I", len(signed_header_data)) + signed_header_data + archive


def pack(archive: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """The CRX3 package of `archive` (a zip) signed by `key`."""
    public = public_key_der(key)
    signed_header_data = _field(_SIGNED_CRX_ID, crx_id(public))
    signature = key.sign(_signed_message(signed_header_data, archive), padding.PKCS1v15(), hashes.SHA256())
    proof = _field(_PROOF_KEY, public) + _field(_PROOF_SIGNATURE, signature)
    header = _field(_HEADER_RSA, proof) + _field(_HEADER_SIGNED_DATA, signed_header_data)
    return MAGIC + struct.pack("<II", VERSION, len(header)) + header + archive


def read(data: bytes, source: str = "the package") -> Crx:
    """Parse and verify a CRX3 package the way Chrome's verifier does; CrxError if it would
    not install."""
    if len(data) < 12 or data[:4] != MAGIC:
        raise CrxError(f"{source}: not a CRX file (no Cr24 magic)")
    version, size = struct.unpack_from("<II", data, 4)
    if version != VERSION:
        raise CrxError(f"{source}: CRX version {version}; Chrome installs only version 3")
    if size > MAX_HEADER or 12 + size > len(data):
        raise CrxError(f"{source}: header length {size} is larger than Chrome accepts or than the file")
    header, archive = data[12 : 12 + size], data[12 + size :]
    try:
        fields = _fields(header)
        signed = [value for number, value in fields if number == _HEADER_SIGNED_DATA]
        signed_header_data = signed[-1] if signed else b""
        declared = [v for n, v in _fields(signed_header_data) if n == _SIGNED_CRX_ID]
        proofs = [(number, dict(_fields(value))) for number, value in fields if number in (_HEADER_RSA, _HEADER_ECDSA)]
    except CrxError as exc:
        raise CrxError(f"{source}: {exc}") from None
    if not declared or len(declared[-1]) != 16:
        raise CrxError(f"{source}: the signed header has no 16-octet crx_id")
    message = _signed_message(signed_header_data, archive)
    developer_key = b""
    for number, proof in proofs:
        public, signature = proof.get(_PROOF_KEY, b""), proof.get(_PROOF_SIGNATURE, b"")
        _verify(number, public, signature, message, source)
        if crx_id(public) == declared[-1]:
            developer_key = public
    if not developer_key:
        raise CrxError(f"{source}: no proof by the key whose ID the package declares")
    return Crx(extension_id(developer_key), developer_key, archive)


def _verify(kind: int, public: bytes, signature: bytes, message: bytes, source: str) -> None:
    try:
        key = serialization.load_der_public_key(public)
        if kind == _HEADER_RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif kind == _HEADER_ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            raise CrxError(f"{source}: a proof's key is not of its algorithm")
    except (ValueError, InvalidSignature, UnsupportedAlgorithm):
        raise CrxError(f"{source}: a signature does not verify (the package was changed or signed wrongly)") from None
