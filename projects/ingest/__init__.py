"""Step 1 ingestion, parsing half: uploaded bytes in, documents (or reasons) out.

Pure functions, no database: ``projects.services.documents_ingest`` stores what these
return. The type of a file is sniffed from its content (``sniff``), then one parser per
format turns it into ``ParsedDocument``s: ``text`` (TXT, MD), ``pdf``, ``docx``, ``html``,
``tables`` + ``xlsx`` (one document per row), ``image`` (PNG, JPEG, TIFF), and
``archive`` unpacks ZIPs member by member into the same pipeline. Scanned PDF pages and
images are read by OCR (``ocr``, Tesseract). Every failure is an ``IngestError`` with a ``code``
and a message for the researcher (``errors``).
"""

from __future__ import annotations

from projects.ingest.archive import UnzipBudget
from projects.ingest.errors import IngestError
from projects.ingest.results import FileOutcome, ParsedDocument
from projects.ingest.text import clean_text
from projects.ingest.upload import iter_upload, table_columns

__all__ = [
    "FileOutcome",
    "IngestError",
    "ParsedDocument",
    "clean_text",
    "UnzipBudget",
    "iter_upload",
    "table_columns",
]
