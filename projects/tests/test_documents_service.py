"""documents_ingest and friends, checked in the database and in storage."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from projects import services, storing
from projects.models import Document, Project
from projects.tests.ingest_files import (
    PARAGRAPH,
    make_docx,
    make_image_pdf,
    make_pdf,
    make_xlsx,
    make_zip,
)
from projects.tests.ocr_files import requires_tesseract

pytestmark = pytest.mark.django_db


def ingest(project, *files, text_column=None) -> services.IngestReport:
    return services.documents_ingest(project=project, files=list(files), text_column=text_column)


def stored_bytes(document: Document) -> bytes:
    with default_storage.open(document.file.name, "rb") as handle:
        return handle.read()


def stored_names(project: Project) -> list[str]:
    folder = f"documents/{project.pk}"
    if not default_storage.exists(folder):
        return []
    return sorted(default_storage.listdir(folder)[1])


# --- Each format ends up as rows ------------------------------------------------------------


def test_pdf_becomes_a_ready_document_with_pages(project):
    data = make_pdf([f"Page {n}. {PARAGRAPH}" for n in (1, 2, 3)])
    report = ingest(project, ("report.pdf", data))
    assert report.errors == [] and report.duplicates == []
    document = Document.objects.get(pk=report.created[0].pk)
    assert document.status == Document.Status.READY
    assert (document.name, document.source_type, document.error) == ("report.pdf", "pdf", "")
    assert document.page_count == 3 and len(document.page_offsets) == 3
    assert document.text[document.page_offsets[2] :].startswith("Page 3.")
    assert document.char_count == len(document.text)
    assert document.token_count > 0
    assert document.size_bytes == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    # The original is kept under a generated name, with the sniffed type's extension.
    assert document.file.name.startswith(f"documents/{project.pk}/")
    assert document.file.name.endswith(".pdf") and "report" not in document.file.name
    assert stored_bytes(document) == data


def test_text_docx_and_html_rows(project):
    report = ingest(
        project,
        ("notes.txt", "Caf\u00e9 \u201cnotes\u201d".encode("cp1252")),
        ("letter.docx", make_docx(lambda d: d.add_paragraph("Dear minister,"))),
        ("page.html", b"<html><head><title>T</title></head><body><p>Hello</p></body></html>"),
    )
    assert report.errors == []
    rows = {d.name: d for d in Document.objects.filter(project=project)}
    assert rows["notes.txt"].text == "Caf\u00e9 \u201cnotes\u201d"
    assert rows["letter.docx"].text == "Dear minister,"
    assert rows["page.html"].text == "Hello"
    assert rows["page.html"].metadata == {"title": "T"}
    for document in rows.values():
        assert document.status == "ready" and document.token_count > 0
        assert document.page_offsets == [] and document.page_count == 0


def test_csv_rows_share_one_stored_file(project):
    data = b"id,title,text,year\n1,First,Alpha text,2020\n2,Second,Beta text,2021\n3,Third,,2022\n"
    report = ingest(project, ("data.csv", data))
    rows = list(Document.objects.filter(project=project).order_by("id"))
    assert [row.name for row in rows] == ["First", "Second"]
    assert [row.text for row in rows] == ["Alpha text", "Beta text"]
    assert rows[0].metadata == {
        "id": "1",
        "title": "First",
        "year": "2020",
        "source_file": "data.csv",
        "source_row": 2,
        "text_column": "text",
    }
    assert rows[0].sha256 == hashlib.sha256(b"Alpha text").hexdigest()
    assert rows[0].size_bytes + rows[1].size_bytes == len(data)  # shares of the one file
    assert {row.source_type for row in rows} == {"csv"}
    assert rows[0].file.name == rows[1].file.name and rows[0].file.name.endswith(".csv")
    assert stored_bytes(rows[0]) == data
    assert stored_names(project) == [rows[0].file.name.rsplit("/", 1)[1]]
    assert {note["filename"] for note in report.notes} == {"data.csv"}


def test_xlsx_rows_with_chosen_column(project):
    data = make_xlsx({"S": [["ref", "summary", "body"], ["a", "Short", "Long text one"]]})
    ingest(project, ("book.xlsx", data), text_column="summary")
    document = Document.objects.get(project=project)
    assert (document.text, document.source_type) == ("Short", "xlsx")
    assert document.metadata["body"] == "Long text one"
    assert document.metadata["text_column"] == "summary"


def test_zip_members_each_keep_their_own_bytes(project):
    members = {"a.txt": b"First member.", "dir/b.txt": b"Second member."}
    report = ingest(project, ("batch.zip", make_zip(members)))
    assert report.errors == []
    rows = {d.name: d for d in Document.objects.filter(project=project)}
    assert set(rows) == {"batch.zip/a.txt", "batch.zip/dir/b.txt"}
    assert stored_bytes(rows["batch.zip/a.txt"]) == b"First member."
    assert stored_bytes(rows["batch.zip/dir/b.txt"]) == b"Second member."


def test_zip_problems_are_reported_per_member(project, settings):
    settings.INGEST_MAX_UNZIPPED_BYTES = 1024 * 1024
    report = ingest(
        project,
        ("mixed.zip", make_zip({"ok.txt": b"fine", "../up.txt": b"x", "in.zip": make_zip({})})),
        ("bomb.zip", make_zip({"zeros.txt": b"0" * 3_000_000})),
    )
    codes = {error["filename"]: error["code"] for error in report.errors}
    assert codes == {
        "mixed.zip/../up.txt": "unsafe_path",
        "mixed.zip/in.zip": "nested_archive",
        "bomb.zip": "archive_too_large",
    }
    assert list(Document.objects.values_list("name", flat=True)) == ["mixed.zip/ok.txt"]


def test_a_zip_of_members_over_the_limits_stores_nothing(project, settings):
    """A small ZIP of huge text members used to leave every original on disk as a
    failed document; now each member is reported and nothing is written for any."""
    settings.INGEST_MAX_TEXT_CHARS = 1000
    settings.UPLOAD_MAX_FILE_BYTES = 100_000
    members = {f"part-{n}.txt": b"a" * 90_000 for n in range(10)}
    members["huge.txt"] = b"b" * 100_001  # over the per-file limit
    members["long.txt"] = b"word " * 500  # small enough to decode, too long once read
    members["broken.pdf"] = b"%PDF-1.4 damaged"
    data = make_zip(members)
    assert len(data) < 10_000

    report = ingest(project, ("bomb.zip", data))

    assert report.created == []
    assert not Document.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []
    errors = {e["filename"]: (e["code"], e["document_id"]) for e in report.errors}
    assert errors == {
        **{f"bomb.zip/part-{n}.txt": ("text_too_long", None) for n in range(10)},
        "bomb.zip/huge.txt": ("file_too_large", None),
        "bomb.zip/long.txt": ("text_too_long", None),
        "bomb.zip/broken.pdf": ("corrupt_file", None),
    }
    for error in report.errors:
        assert error["filename"] in error["message"]
    messages = {e["filename"]: e["message"] for e in report.errors}
    assert "1,000 characters" in messages["bomb.zip/part-0.txt"]
    assert "the limit per file" in messages["bomb.zip/huge.txt"]


def test_the_archives_of_one_upload_share_the_unzipped_budget(project, settings):
    """Each archive fits the limit, the upload's archives together do not: the server
    inflates at most INGEST_MAX_UNZIPPED_BYTES per request, however many archives."""
    settings.INGEST_MAX_UNZIPPED_BYTES = 5000
    archives = [
        (f"batch-{n}.zip", make_zip({f"notes-{n}.txt": f"Notes {n}. ".encode() * 200}))
        for n in range(3)
    ]
    report = ingest(project, *archives)
    assert [d.name for d in report.created] == [
        "batch-0.zip/notes-0.txt",
        "batch-1.zip/notes-1.txt",
    ]
    (error,) = report.errors
    assert (error["filename"], error["code"]) == ("batch-2.zip", "archive_too_large")
    assert "upload of its own" in error["message"]
    # Alone, the same archive is taken.
    assert ingest(project, archives[2]).created
    # One too large even alone is not sent to an upload of its own.
    huge = ("huge.zip", make_zip({"big.txt": b"x" * 6000}))
    (error,) = ingest(project, archives[0], huge).errors
    assert error["filename"] == "huge.zip"
    assert "upload of its own" not in error["message"]


# --- Failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        (
            "secret.pdf",
            make_pdf([PARAGRAPH], owner_password="o", user_password="u"),
            "encrypted_pdf",
        ),
        # A picture without writing: OCR (where installed) finds nothing in it.
        pytest.param("scan.pdf", make_image_pdf(), "no_text_layer", marks=requires_tesseract),
        ("cut.pdf", make_pdf([PARAGRAPH])[:300], "corrupt_file"),
        ("report.docx", b"not a zip at all", "corrupt_file"),
    ],
)
def test_parse_failures_are_stored_as_failed_documents(project, filename, data, code):
    report = ingest(project, (filename, data))
    assert report.created == []
    [error] = report.errors
    assert (error["filename"], error["code"]) == (filename, code)
    document = Document.objects.get(pk=error["document_id"])
    assert document.status == Document.Status.FAILED
    assert document.error == error["message"] and filename in document.error
    assert document.metadata == {"error_code": code}
    assert document.text == "" and document.token_count == 0
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_bytes(document) == data  # the original is kept


def test_unsupported_and_too_large_files_are_not_stored(project, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 1000
    report = ingest(
        project,
        ("photo.gif", b"GIF89a" + bytes(100)),
        ("big.txt", b"a" * 1001),
        ("empty.txt", b""),
    )
    codes = [(e["filename"], e["code"], e["document_id"]) for e in report.errors]
    assert codes == [
        ("photo.gif", "unsupported_file_type", None),
        ("big.txt", "file_too_large", None),
        ("empty.txt", "empty_file", None),
    ]
    assert not Document.objects.exists()
    assert stored_names(project) == []


def test_table_level_errors_are_not_stored(project):
    report = ingest(project, ("d.csv", b"a,b\n1,2\n"), text_column="missing")
    assert [e["code"] for e in report.errors] == ["missing_text_column"]
    assert not Document.objects.exists()


def test_one_bad_file_does_not_stop_the_others(project):
    good = [(f"note-{n}.txt", f"Note number {n}. {PARAGRAPH}".encode()) for n in range(10)]
    bad = ("broken.pdf", b"%PDF-1.7 this is not really a pdf")
    report = ingest(project, *good[:5], bad, *good[5:])
    assert len(report.created) == 10
    assert [e["filename"] for e in report.errors] == ["broken.pdf"]
    assert Document.objects.filter(project=project, status="ready").count() == 10
    assert Document.objects.filter(project=project, status="failed").count() == 1


# --- Duplicates --------------------------------------------------------------------------


def test_duplicates_within_a_batch(project):
    report = ingest(project, ("a.txt", b"same text"), ("b.txt", b"same text"))
    [created] = report.created
    assert report.duplicates == [{"filename": "b.txt", "existing_id": created.pk}]
    assert Document.objects.count() == 1


def test_duplicate_rows_within_one_table(project):
    report = ingest(project, ("d.csv", b"text\nrepeat\nother\nrepeat\n"))
    assert len(report.created) == 2
    first = Document.objects.get(text="repeat")
    assert report.duplicates == [{"filename": "d.csv row 4", "existing_id": first.pk}]


def test_duplicates_against_the_project(project):
    first = ingest(project, ("a.txt", b"Original text."))
    again = ingest(
        project, ("copy.txt", b"Original text."), ("a.zip", make_zip({"x.txt": b"Original text."}))
    )
    assert again.created == []
    assert again.duplicates == [
        {"filename": "copy.txt", "existing_id": first.created[0].pk},
        {"filename": "a.zip/x.txt", "existing_id": first.created[0].pk},
    ]
    assert Document.objects.count() == 1


def test_same_text_in_another_project_is_not_a_duplicate(project, user):
    other = Project.objects.create(owner=user, name="Other")
    ingest(project, ("a.txt", b"Shared text."))
    assert len(ingest(other, ("a.txt", b"Shared text.")).created) == 1


def test_failed_duplicate_is_replaced_by_a_new_parse(project, django_capture_on_commit_callbacks):
    data = b"Readable now."
    failed = Document.objects.create(
        project=project,
        name="old.txt",
        source_type="txt",
        sha256=hashlib.sha256(data).hexdigest(),
        status=Document.Status.FAILED,
        error="The parser of the day could not read it.",
    )
    failed.file.save("original.txt", ContentFile(data))
    old_file = failed.file.name
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest(project, ("new.txt", data))
    assert report.duplicates == []
    [created] = report.created
    assert not Document.objects.filter(pk=failed.pk).exists()
    assert Document.objects.get().pk == created.pk and created.status == "ready"
    assert not default_storage.exists(old_file)


def test_same_broken_file_again_replaces_the_failed_document(
    project, django_capture_on_commit_callbacks
):
    data = make_pdf([PARAGRAPH], owner_password="o", user_password="u")
    first = ingest(project, ("secret.pdf", data)).errors[0]["document_id"]
    with django_capture_on_commit_callbacks(execute=True):
        second = ingest(project, ("secret.pdf", data)).errors[0]["document_id"]
    assert second != first
    assert list(Document.objects.values_list("pk", flat=True)) == [second]
    assert len(stored_names(project)) == 1


def test_table_that_failed_as_a_whole_is_replaced_by_its_rows(project):
    data = b"text\nrow one\nrow two\n"
    Document.objects.create(
        project=project,
        name="d.csv",
        source_type="csv",
        sha256=hashlib.sha256(data).hexdigest(),
        status=Document.Status.FAILED,
        error="Earlier failure.",
    )
    report = ingest(project, ("d.csv", data))
    assert len(report.created) == 2
    assert not Document.objects.filter(status="failed").exists()


def test_concurrent_duplicate_is_retried_and_reported(project, monkeypatch):
    first = ingest(project, ("a.txt", b"Raced text.")).created[0]
    real_lookup = storing.existing_by_sha256
    calls = []

    def blind_once(project, hashes):
        # The first look misses the row, as if another upload committed it just after.
        calls.append(1)
        return {} if len(calls) <= 2 else real_lookup(project, hashes)

    monkeypatch.setattr(storing, "existing_by_sha256", blind_once)
    report = ingest(project, ("b.txt", b"Raced text."))
    assert report.created == []
    assert report.duplicates == [{"filename": "b.txt", "existing_id": first.pk}]
    assert len(stored_names(project)) == 1  # the file of the failed attempt is removed


def test_concurrent_failed_duplicate_is_retried_and_replaced(
    project, monkeypatch, django_capture_on_commit_callbacks
):
    data = make_pdf([PARAGRAPH], owner_password="o", user_password="u")
    first = ingest(project, ("secret.pdf", data)).errors[0]["document_id"]
    real_lookup = storing.existing_by_sha256
    calls = []

    def blind_once(project, hashes):
        calls.append(1)
        return {} if len(calls) <= 2 else real_lookup(project, hashes)

    monkeypatch.setattr(storing, "existing_by_sha256", blind_once)
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest(project, ("secret.pdf", data))
    second = report.errors[0]["document_id"]
    assert second != first
    assert list(Document.objects.values_list("pk", flat=True)) == [second]
    assert len(stored_names(project)) == 1


# --- Transactions, bulk, speed -----------------------------------------------------------


def test_crash_midway_through_a_table_leaves_nothing(project, monkeypatch):
    monkeypatch.setattr(storing, "BULK_BATCH_SIZE", 2)
    real_build = storing._document_build
    built = []

    def build(project, item):
        document = real_build(project, item)
        built.append(document)
        if len(built) == 5:
            document.metadata = {"unserialisable": object()}  # fails in the third INSERT
        return document

    monkeypatch.setattr(storing, "_document_build", build)
    data = "text\n" + "".join(f"row {n}\n" for n in range(6))
    with pytest.raises(TypeError):
        ingest(project, ("good.txt", b"Committed before the crash."), ("d.csv", data.encode()))
    assert list(Document.objects.values_list("name", flat=True)) == ["good.txt"]
    assert len(stored_names(project)) == 1  # only good.txt's file


def test_bulk_rows_use_few_queries(project, django_assert_max_num_queries):
    data = "id,text\n" + "".join(f"{n},Text of row {n}\n" for n in range(2000))
    with django_assert_max_num_queries(60):
        report = ingest(project, ("d.csv", data.encode()))
    assert len(report.created) == 2000


def test_100k_row_csv(project, capsys):
    rows = "".join(
        f"{n},Title {n},Row {n}: the treaty text says tariffs fall by {n % 50} percent.\n"
        for n in range(100_000)
    )
    data = ("id,title,text\n" + rows).encode()
    started = time.perf_counter()
    report = ingest(project, ("big.csv", data))
    elapsed = time.perf_counter() - started
    assert report.errors == []
    assert len(report.created) == 100_000
    assert Document.objects.filter(project=project, status="ready").count() == 100_000
    assert Document.objects.filter(project=project).values("file").distinct().count() == 1
    with capsys.disabled():
        print(f"\n100,000-row CSV ingested in {elapsed:.1f} s")
    assert elapsed < 120  # generous: catches accidental per-row queries, not noise


def test_project_updated_at_moves_on_ingest(project):
    before = Project.objects.get(pk=project.pk).updated_at
    ingest(project, ("a.txt", b"text"))
    assert Project.objects.get(pk=project.pk).updated_at > before


# --- Paste, delete -----------------------------------------------------------------------


def test_document_create_from_text(project):
    report = services.document_create_from_text(
        project=project, name="Interview 12", text="Q: Why?\r\nA: Because.\x00"
    )
    document = Document.objects.get(pk=report.created[0].pk)
    assert (document.name, document.source_type, document.text) == (
        "Interview 12",
        "paste",
        "Q: Why?\nA: Because.",
    )
    assert document.sha256 == hashlib.sha256(b"Q: Why?\nA: Because.").hexdigest()
    assert document.token_count > 0 and not document.file
    again = services.document_create_from_text(
        project=project, name="Again", text="Q: Why?\nA: Because."
    )
    assert again.duplicates == [{"filename": "Again", "existing_id": document.pk}]


def test_document_create_from_empty_text(project):
    report = services.document_create_from_text(project=project, name="Blank", text=" \n\x00 ")
    assert [(e["code"], e["document_id"]) for e in report.errors] == [("empty_text", None)]
    assert not Document.objects.exists()


def test_document_create_from_text_too_long(project, settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    report = services.document_create_from_text(project=project, name="Long", text="x" * 1001)
    assert report.errors[0]["code"] == "text_too_long"


def test_document_delete_removes_the_file(project, django_capture_on_commit_callbacks):
    document = ingest(project, ("a.txt", b"text")).created[0]
    name = document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=document)
    assert not Document.objects.exists()
    assert not default_storage.exists(name)


def test_document_delete_keeps_a_shared_table_file(project, django_capture_on_commit_callbacks):
    first, second = ingest(project, ("d.csv", b"text\none\ntwo\n")).created
    name = first.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=first)
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=second)
    assert not default_storage.exists(name)


def test_project_delete_removes_files(project, django_capture_on_commit_callbacks):
    ingest(project, ("a.txt", b"one"), ("d.csv", b"text\nx\ny\n"))
    assert len(stored_names(project)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.project_delete(project=project)
    assert not Project.objects.filter(pk=project.pk).exists()
    assert stored_names(project) == []
