"""ZIP uploads: members parsed one by one, limits on what an archive may expand to."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from projects.ingest import iter_upload
from projects.ingest.archive import _Overflow, read_bounded
from projects.tests.ingest_files import (
    PARAGRAPH,
    error_code,
    make_docx,
    make_pdf,
    make_zip,
    only,
)

# --- ZIP ---------------------------------------------------------------------------------


def test_zip_mixed_members():
    data = make_zip(
        {
            "sub/a.txt": b"Plain text member.",
            "report.pdf": make_pdf([PARAGRAPH]),
            "letter.docx": make_docx(lambda d: d.add_paragraph("A letter.")),
            "rows.csv": b"text\nrow one\nrow two\n",
            "picture.gif": b"GIF89a" + bytes(32),
            ".hidden.txt": b"skip me",
            "__MACOSX/sub/._a.txt": b"skip me too",
            "empty-dir/": b"",
        }
    )
    outcomes = list(iter_upload("archive.zip", data))
    by_name = {outcome.filename: outcome for outcome in outcomes}
    assert set(by_name) == {
        "archive.zip/sub/a.txt",
        "archive.zip/report.pdf",
        "archive.zip/letter.docx",
        "archive.zip/rows.csv",
        "archive.zip/picture.gif",
    }
    assert by_name["archive.zip/sub/a.txt"].documents[0].text == "Plain text member."
    assert by_name["archive.zip/sub/a.txt"].documents[0].name == "archive.zip/sub/a.txt"
    assert by_name["archive.zip/sub/a.txt"].content == b"Plain text member."
    assert by_name["archive.zip/report.pdf"].documents[0].source_type == "pdf"
    assert by_name["archive.zip/letter.docx"].documents[0].text == "A letter."
    assert [d.name for d in by_name["archive.zip/rows.csv"].documents] == [
        "archive.zip/rows.csv row 2",
        "archive.zip/rows.csv row 3",
    ]
    assert by_name["archive.zip/picture.gif"].error.code == "unsupported_file_type"


def test_zip_path_traversal_and_absolute_members_are_refused():
    data = make_zip(
        {"../evil.txt": b"x", "/etc/passwd.txt": b"y", "ok.txt": b"fine", "C:/win.txt": b"z"}
    )
    outcomes = {o.filename: o for o in iter_upload("a.zip", data)}
    assert outcomes["a.zip/ok.txt"].documents[0].text == "fine"
    unsafe = [name for name, o in outcomes.items() if o.error and o.error.code == "unsafe_path"]
    assert len(unsafe) == 3


def test_zip_bomb_declared_size(settings):
    settings.INGEST_MAX_UNZIPPED_BYTES = 1024 * 1024
    data = make_zip({"bomb.txt": b"0" * (5 * 1024 * 1024)})
    assert len(data) < 20_000  # highly compressible
    outcome = only(iter_upload("bomb.zip", data))
    assert outcome.error.code == "archive_too_large"
    assert outcome.filename == "bomb.zip"


def test_zip_members_that_fail_leave_nothing_to_keep(settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    data = make_zip(
        {"long.txt": b"word " * 500, "broken.pdf": b"%PDF-1.4 not really", "ok.txt": b"fine"}
    )
    outcomes = {o.filename: o for o in iter_upload("a.zip", data)}
    assert outcomes["a.zip/long.txt"].error.code == "text_too_long"
    assert outcomes["a.zip/broken.pdf"].error.code == "corrupt_file"
    assert [name for name, o in outcomes.items() if o.error and o.content is not None] == []
    assert outcomes["a.zip/ok.txt"].content == b"fine"


def test_zip_member_over_file_limit(settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10_000
    data = make_zip({"big.txt": b"a" * 20_000, "small.txt": b"small"})
    outcomes = {o.filename: o for o in iter_upload("a.zip", data)}
    assert outcomes["a.zip/big.txt"].error.code == "file_too_large"
    assert outcomes["a.zip/small.txt"].documents[0].text == "small"


def test_zip_member_count_limit(settings):
    settings.INGEST_MAX_ZIP_MEMBERS = 3
    data = make_zip({f"{n}.txt": b"x" for n in range(4)})
    outcome = only(iter_upload("many.zip", data))
    assert outcome.error.code == "archive_too_large"
    assert "4 files" in outcome.error.message


def test_zip_reads_in_bounded_chunks_whatever_the_header_says():
    data = make_zip({"a.txt": b"x" * 3_000_000})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("a.txt")
        info.file_size = 10  # a lying header must not raise the limit
        with pytest.raises((_Overflow, zipfile.BadZipFile)):
            read_bounded(archive, info, limit=1_000_000)
        info.file_size = 3_000_000
        with pytest.raises(_Overflow):
            read_bounded(archive, info, limit=1_000_000)
        assert len(read_bounded(archive, info, limit=3_000_000)) == 3_000_000


def test_nested_zip_is_not_expanded():
    inner = make_zip({"inner.txt": b"inside"})
    outcomes = {o.filename: o for o in iter_upload("outer.zip", make_zip({"in.zip": inner}))}
    assert outcomes["outer.zip/in.zip"].error.code == "nested_archive"


def test_corrupt_zip():
    outcome = only(iter_upload("a.zip", b"PK\x03\x04" + os.urandom(100)))
    assert outcome.error.code == "corrupt_file"
    assert outcome.content is None and outcome.source_type is None


def test_zip_with_only_junk_is_empty():
    assert error_code("a.zip", make_zip({".DS_Store": b"x", "__MACOSX/x": b"y"})) == "empty_file"
