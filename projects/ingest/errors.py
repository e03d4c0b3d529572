"""Why a file could not become documents, said to the researcher who uploaded it.

Each error has a stable snake_case ``code`` for programs (the API maps some to HTTP
statuses, the service decides from it whether the file is kept as a failed document)
and a ``message``: one or two sentences naming the file and saying what to do.
"""

from __future__ import annotations

from django.conf import settings


class IngestError(Exception):
    """A file (or a ZIP member) that cannot be turned into documents.

    ``source_type`` is the document type the file was taken for when sniffing already
    refused it: content that did not match its claim (a ``.docx`` that is not a zip),
    plain text too large to decode. Parsers leave it empty because the caller knows
    which parser it ran.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        source_type: str | None = None,
        details: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.source_type = source_type
        self.details = details or {}

    def __repr__(self) -> str:
        return f"IngestError({self.code!r}, {self.message!r})"


def human_size(size: int) -> str:
    """Bytes as people read them in a message: 512 bytes, 3.4 MB."""
    if size < 1024:
        return f"{size} bytes"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:,.1f} {unit}".replace(".0 ", " ")
    raise AssertionError("unreachable")


# --- One constructor per code, so the wording lives in one place ---------------------


def empty_file(filename: str) -> IngestError:
    return IngestError(
        "empty_file",
        f"{filename} is empty: there is no text in it. Check that you chose the right file.",
    )


def unsupported_file_type(filename: str, hint: str = "") -> IngestError:
    supported = "TXT, MD, PDF, DOCX, HTML, CSV, XLSX, images (PNG, JPEG, TIFF) or a ZIP of those"
    return IngestError(
        "unsupported_file_type",
        f"{filename} is not a file type we can read{hint}. Upload {supported}.",
    )


def file_too_large(filename: str, size: int) -> IngestError:
    # "larger than" rather than the size: uploads are read only up to one byte past
    # the limit, so ``size`` is often just that.
    limit = settings.UPLOAD_MAX_FILE_BYTES
    return IngestError(
        "file_too_large",
        f"{filename} is larger than {human_size(limit)}, the limit per file. Split it "
        "into smaller files and upload those.",
        details={"size_bytes": size, "limit_bytes": limit},
    )


def corrupt_file(filename: str, kind: str, *, source_type: str | None = None) -> IngestError:
    return IngestError(
        "corrupt_file",
        f"{filename} could not be read as {kind}: it is damaged, incomplete, or another "
        "format renamed. Open it on your computer, save a fresh copy and upload that.",
        source_type=source_type,
    )


def encrypted_pdf(filename: str) -> IngestError:
    return IngestError(
        "encrypted_pdf",
        f"{filename} is password-protected. Remove the password (open it and save or "
        "print it to a new PDF) and upload it again.",
    )


def no_text_layer(filename: str) -> IngestError:
    """Neither a text layer nor OCR found any text: blank pages, or pictures without
    writing, or a scan too faint or small to read."""
    return IngestError(
        "no_text_layer",
        f"{filename} has no text: its pages have no text layer and OCR found no writing "
        "on them. If it is a scan, upload a sharper copy (at least 200 dpi, pages upright).",
    )


def no_text_found(filename: str) -> IngestError:
    return IngestError(
        "no_text_found",
        f"{filename}: OCR found no writing in this image. If it shows text, upload a "
        "sharper copy (at least 200 dpi, upright).",
    )


# Said wherever OCR is missing; the README's OCR section says the same at more length.
_HOW_TO_ENABLE_OCR = (
    "To enable OCR, install Tesseract on the server (Debian/Ubuntu: “apt-get install "
    "tesseract-ocr”; macOS: “brew install tesseract”; see the README), then upload the "
    "file again."
)


def ocr_unavailable(filename: str, what: str) -> IngestError:
    """``what`` says why the file needs OCR: "is an image", "is a scan (...)"."""
    return IngestError(
        "ocr_unavailable",
        f"{filename} {what}: reading it needs OCR, and OCR (Tesseract) is not installed on "
        f"this server. {_HOW_TO_ENABLE_OCR}",
    )


def ocr_language_missing(filename: str, missing: list[str], installed: list[str]) -> IngestError:
    """The project's OCR languages name a pack the server lacks (the setting was valid
    when saved, or set where Tesseract could not be asked)."""
    return IngestError(
        "ocr_unavailable",
        f"{filename} needs OCR in {', '.join(missing)}, but that language pack is not "
        f"installed on this server (installed: {', '.join(installed) or 'none'}). Change "
        "the project's OCR languages, or install the pack (Debian/Ubuntu: "
        f"“apt-get install tesseract-ocr-{missing[0].replace('_', '-')}”), then upload the "
        "file again.",
        details={"missing": missing, "installed": installed},
    )


def ocr_failed(filename: str, page: int, reason: str) -> IngestError:
    return IngestError(
        "ocr_failed",
        f"{filename}: OCR failed on page {page} ({reason}). Upload a cleaner scan, or a "
        "PDF with a text layer.",
        details={"page": page},
    )


def image_too_large(filename: str, limit_pixels: int) -> IngestError:
    return IngestError(
        "image_too_large",
        f"{filename} is an image of more than {limit_pixels / 1e6:,.0f} megapixels, too large "
        "to read safely. Save or scan it at a lower resolution (300 dpi is plenty) and "
        "upload that.",
        details={"limit_pixels": limit_pixels},
    )


def too_many_pages(filename: str, pages: int) -> IngestError:
    limit = settings.INGEST_MAX_PDF_PAGES
    return IngestError(
        "too_many_pages",
        f"{filename} has {pages:,} pages; the limit is {limit:,}. Split it into parts "
        "and upload those.",
        details={"pages": pages, "limit": limit},
    )


def text_too_long(filename: str, chars: int | None) -> IngestError:
    """``chars`` is None when reading stopped at the limit (a CSV field)."""
    limit = settings.INGEST_MAX_TEXT_CHARS
    size = f"more than {limit:,}" if chars is None else f"{chars:,}"
    return IngestError(
        "text_too_long",
        f"{filename} has {size} characters of text; the limit is {limit:,} per "
        "document. Split it into smaller documents.",
        details={"chars": chars, "limit": limit},
    )


def plain_text_too_large(filename: str, size: int, *, source_type: str) -> IngestError:
    """Plain text refused from its byte size, before decoding (``text.MAX_BYTES_PER_CHAR``):
    the same code as ``text_too_long``, since that is what the researcher has to fix."""
    limit = settings.INGEST_MAX_TEXT_CHARS
    return IngestError(
        "text_too_long",
        f"{filename} is {human_size(size)} of plain text: even at 4 bytes a character that "
        f"is more than {limit:,} characters, the limit per document. Split it into smaller "
        "files and upload those.",
        source_type=source_type,
        details={"size_bytes": size, "limit": limit},
    )


def archive_too_large(filename: str, reason: str) -> IngestError:
    return IngestError(
        "archive_too_large",
        f"{filename} {reason}. Split it into smaller archives, or upload its files directly.",
        details={
            "limit_bytes": settings.INGEST_MAX_UNZIPPED_BYTES,
            "limit_members": settings.INGEST_MAX_ZIP_MEMBERS,
        },
    )


def unsafe_path(filename: str) -> IngestError:
    return IngestError(
        "unsafe_path",
        f"{filename} was skipped: its path inside the archive is absolute or climbs out of "
        "the archive (“..”), which archives made by normal tools never do. Re-create the "
        "archive from the folder.",
    )


def nested_archive(filename: str) -> IngestError:
    return IngestError(
        "nested_archive",
        f"{filename} is an archive inside an archive; we only unpack one level. Unzip it "
        "and upload its files, or put them in the outer archive.",
    )


def encrypted_archive_member(filename: str) -> IngestError:
    return IngestError(
        "encrypted_file",
        f"{filename} is password-protected inside the archive. Re-create the archive "
        "without a password.",
    )


def missing_text_column(filename: str, columns: list[str], reason: str) -> IngestError:
    listed = ", ".join(f"“{column}”" for column in columns) or "none"
    return IngestError(
        "missing_text_column",
        f"{filename}: {reason}. Choose the column that holds the text; the columns are {listed}.",
        details={"columns": columns},
    )


def too_many_rows(filename: str, rows: int) -> IngestError:
    limit = settings.INGEST_MAX_ROWS
    return IngestError(
        "too_many_rows",
        f"{filename} has {rows:,} rows; the limit is {limit:,} per file. Split it into "
        "smaller files and upload those.",
        details={"rows": rows, "limit": limit},
    )


def not_a_table(filename: str) -> IngestError:
    return IngestError(
        "not_a_table",
        f"{filename} is not a CSV or XLSX file, so it has no columns to choose from.",
    )
