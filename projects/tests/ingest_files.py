"""Files the ingest tests upload: PDFs, DOCX, XLSX and ZIPs made in memory."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
from fpdf import FPDF
from PIL import Image

from projects.ingest import iter_upload

PARAGRAPH = (
    "The agreement lowers tariffs on agricultural goods by twelve percent over five "
    "years, with safeguards for sensitive products."
)


# --- File makers ----------------------------------------------------------------------


def make_pdf(pages: list[str], *, owner_password: str = "", user_password: str = "") -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text=text)
    if owner_password:
        pdf.set_encryption(owner_password=owner_password, user_password=user_password or None)
    return bytes(pdf.output())


def make_image_pdf() -> bytes:
    """A "scan": one page holding only a picture."""
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (300, 120), "gray"), x=10, y=10, w=120)
    return bytes(pdf.output())


def make_docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def only(outcomes):
    """The single outcome of a single file."""
    outcomes = list(outcomes)
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


def error_code(filename: str, data: bytes, **kwargs) -> str | None:
    outcome = only(iter_upload(filename, data, **kwargs))
    return outcome.error.code if outcome.error else None


def text_of(filename: str, data: bytes) -> str:
    outcome = only(iter_upload(filename, data))
    assert outcome.error is None, outcome.error
    return outcome.documents[0].text


def parse_queued_uploads() -> list[int]:
    """Run the workers' parse of every queued upload here, as a worker would (the
    integration tests run real workers); the ids parsed, oldest first."""
    from projects.models import Upload
    from projects.parsing import upload_parse

    ids = list(Upload.objects.filter(status="queued").order_by("pk").values_list("pk", flat=True))
    for upload_id in ids:
        upload_parse(upload_id=upload_id, worker="test:1")
    return ids


def upload_files(api, project, *files: tuple[str, bytes], **extra):
    """POST (name, bytes) pairs to the project's documents endpoint, as a browser's
    multipart form would; ``extra`` adds form fields (text_column...)."""
    handles = []
    for name, data in files:
        handle = io.BytesIO(data)
        handle.name = name
        handles.append(handle)
    return api.post(
        f"/api/v1/projects/{project.pk}/documents/",
        {"files": handles, **extra},
        format="multipart",
    )
