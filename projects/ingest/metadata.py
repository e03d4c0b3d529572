"""Document metadata worth keeping: what a file's properties say about its content.

Files carry properties their authors never wrote: a browser's ``about:blank`` as the
title of a printed page, Word's "Microsoft Word - report.docx" naming the file it
printed, the program that produced the file as its author. Kept, they become columns
of the dataset that say nothing about the document, so ``clean_metadata`` drops them
for every whole-file document (``results.whole_file_document``). The rules:

- a value that is None, or text that is empty or only whitespace;
- a placeholder (``PLACEHOLDERS``: about:blank, untitled, no title, unknown...);
- the name of a program rather than of a person or a subject (``_PRODUCERS``:
  Microsoft Word and its print-to-PDF titles, LibreOffice, wkhtmltopdf, Skia/PDF...);
- a title that only repeats the file's name, with or without its extension (an author
  or a language may well match a file's name: "smith.pdf" by Smith, "en.html" in en);
- a key that names the producing program (``PRODUCER_KEYS``), whatever its value.

Only text is judged: numbers, booleans and lists (page numbers, OCR figures) are
facts the parsers computed and are kept as they are. Table rows (CSV, XLSX) are not
cleaned: their metadata are the researcher's own columns, and a cell that reads
"unknown" or is empty is data, kept as the table has it.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

PLACEHOLDERS = frozenset(
    {
        "about:blank",
        "untitled",
        "untitled document",
        "(untitled)",
        "no title",
        "(no title)",
        "unknown",
        "(unknown)",
        "none",
        "null",
        "n/a",
    }
)
PRODUCER_KEYS = frozenset({"generator", "producer", "creator", "creator_tool"})
# Whole values only: "Microsoft Word tips for researchers" is a title, "Microsoft®
# Word 2016" is not. The print-to-PDF form "Microsoft Word - <file name>" names a file.
_PRODUCERS = re.compile(
    r"""
    microsoft(?:®|\(r\))?\s+(?:office\s+)?(?:word|excel|powerpoint)
        (?:\s+(?:\d{4}|for\s.*)|\s+-\s.*)?
    | (?:libreoffice|openoffice(?:\.org)?)(?:\s+\S+)?(?:\s+/\s.*)?
    | wkhtmltopdf(?:\s.*)?
    | skia/pdf(?:\s.*)?
    | python-docx
    | ghostscript(?:\s.*)?
    | acrobat\s+(?:distiller|pdfmaker)(?:\s.*)?
    | adobe\s+pdf\s+library(?:\s.*)?
    | quartz\s+pdfcontext
    """,
    re.IGNORECASE | re.VERBOSE,
)


def clean_metadata(metadata: dict, *, filename: str = "") -> dict:
    """``metadata`` without the keys that carry no information (see the module's rules).

    ``filename``: the uploaded file's name (an archive member's path is fine); a title
    that only repeats it is dropped.
    """
    names = _file_names(filename)
    return {
        key: value
        for key, value in metadata.items()
        if key.casefold() not in PRODUCER_KEYS
        and not _is_uninformative(value, names if key == "title" else frozenset())
    }


def _is_uninformative(value: object, file_names: frozenset[str]) -> bool:
    """``file_names``: values that only repeat the file's name (for a title)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    folded = " ".join(value.split()).casefold()
    return (
        not folded
        or folded in PLACEHOLDERS
        or folded in file_names
        or _PRODUCERS.fullmatch(folded) is not None
    )


def _file_names(filename: str) -> frozenset[str]:
    """The file's name and its stem, folded as values are: "report.pdf", "report"."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    folded = " ".join(name.split()).casefold()
    if not folded:
        return frozenset()
    stem = " ".join(PurePosixPath(name).stem.split()).casefold()
    return frozenset(filter(None, (folded, stem)))
