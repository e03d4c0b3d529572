"""Bytes to clean text: encoding detection and normalisation, and TXT/MD documents.

Encodings, in the order they are tried:

1. a byte-order mark (UTF-32, UTF-8, UTF-16): certain;
2. strict UTF-8: text in another encoding almost never decodes as UTF-8 by accident;
3. UTF-16 without a BOM, recognised by its NUL bytes in every other position;
4. Windows-1252 when the bytes look like Western text (mostly ASCII letters with an
   accented letter here and there). charset-normalizer guesses short Western texts
   badly (Latin-1 “café” comes back as UTF-16 or cp1250), and Windows-1252 is a
   superset of Latin-1 for everything but C1 control codes, which text never uses;
5. otherwise charset-normalizer's best guess (Cyrillic, Greek, CJK code pages...).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from projects.ingest import errors
from projects.ingest.results import Parsed, check_text, whole_file_document

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE_BYTES = 64 * 1024
# The most bytes a decoded character takes: UTF-8 and UTF-32 at most 4, UTF-16 4 for a
# surrogate pair, legacy code pages 1 or 2. So N bytes of text are at least N / 4
# characters, and plain text over 4 x INGEST_MAX_TEXT_CHARS bytes can be refused
# without decoding it. (The stateful encodings charset-normalizer may guess, ISO-2022,
# HZ and UTF-7, exceed 4 only in escape sequences or runs of emoji: not real text.)
MAX_BYTES_PER_CHAR = 4
# A byte-order mark is not a character: UTF-32's is 4 bytes.
MAX_BOM_BYTES = 4
# Share of bytes 0xC0-0xFF among letters above which a text is not Western European.
# In Windows-1252 those bytes are the accented letters, a few percent of the letters
# of French or German; in the Cyrillic, Greek or CJK encodings nearly every letter
# is there. (0x80-0xBF is mostly punctuation in Windows-1252: curly quotes, euro.)
_WESTERN_MAX_HIGH_SHARE = 0.3
# Share of control characters above which "text" is really binary data. Valid UTF-8
# is text by construction, nearly (binary data almost never is valid UTF-8), so only
# a heavy dose of controls makes it binary; a legacy 8-bit decoding accepts any bytes,
# so there a few percent already say "binary".
_BINARY_SHARE_UTF8 = 0.3
_BINARY_SHARE_LEGACY = 0.05

# \r\n and \r (old Mac) become \n; vertical tab and form feed are line and page breaks
# in plain text, so they become \n rather than disappear and glue words together.
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c]")
# Every other C0 control character except \t and \n, and DEL. They carry no meaning
# for a reader or the model, and they break things downstream: PostgreSQL text columns
# refuse NUL, XML 1.0 (the XLSX export) forbids C0 controls, JSON needs them escaped.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Normalise newlines to \\n and drop control characters; all other Unicode stays."""
    return _CONTROL_CHARS.sub("", _LINE_BREAKS.sub("\n", text))


def decode_text(filename: str, data: bytes) -> str:
    """The file's text, decoded but not cleaned; ``unsupported_file_type`` for binary."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding:
        text, threshold = data.decode(encoding, errors="replace"), _BINARY_SHARE_UTF8
    else:
        try:
            text, threshold = data.decode("utf-8"), _BINARY_SHARE_UTF8
        except UnicodeDecodeError:
            text, threshold = _decode_legacy(filename, data), _BINARY_SHARE_LEGACY
    if _control_share(text) > threshold:
        raise errors.unsupported_file_type(filename)
    return text


def _decode_legacy(filename: str, data: bytes) -> str:
    sample = data[:_SAMPLE_BYTES]
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return data.decode(utf16, errors="replace")
    if b"\x00" in sample:
        # NUL bytes outside UTF-16 (and not valid UTF-8): binary, not text.
        raise errors.unsupported_file_type(filename)
    if _looks_western(sample):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            # The five bytes cp1252 leaves undefined: Latin-1 maps every byte.
            return data.decode("latin-1")
    guess = from_bytes(sample).best()
    encoding = guess.encoding if guess else "cp1252"
    if encoding.startswith(("utf_16", "utf_32")):
        # Without NULs it is not UTF-16/32, whatever the statistics say.
        encoding = "cp1252"
    return data.decode(encoding, errors="replace")


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 LE/BE by its NULs: ASCII-range text has a NUL in every other byte."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nuls, odd_nuls = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _looks_western(sample: bytes) -> bool:
    ascii_letters = sum(1 for byte in sample if 65 <= byte <= 90 or 97 <= byte <= 122)
    high_letters = sum(1 for byte in sample if byte >= 0xC0)
    if not ascii_letters:
        return False
    return high_letters / (ascii_letters + high_letters) <= _WESTERN_MAX_HIGH_SHARE


def _control_share(text: str) -> float:
    sample = text[:_SAMPLE_BYTES]
    if not sample:
        return 0.0
    return len(_CONTROL_CHARS.findall(sample)) / len(sample)


def parse_text(filename: str, data: bytes, *, text: str, source_type: str) -> Parsed:
    """A TXT or MD file: one document with the whole text (Markdown kept as written:
    the model reads it well and evidence offsets stay true to the file)."""
    cleaned = check_text(filename, clean_text(text))
    return Parsed(
        [whole_file_document(filename=filename, source_type=source_type, text=cleaned, data=data)]
    )
