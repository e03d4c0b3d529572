"""Serving export files."""

from __future__ import annotations

from django.http import FileResponse, Http404

from exports.models import Export
from exports.services import export_filename


def download_response(export: Export) -> FileResponse:
    """The file as an attachment; 404 while it is not written (or was lost)."""
    if export.status != Export.Status.COMPLETED or not export.file:
        raise Http404("This export has no file (yet).")
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404("The export file is missing; create the export again.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(export),
        content_type=Export.MEDIA_TYPES[export.format],
    )
