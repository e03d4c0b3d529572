"""A coding round's files in the REST API: its codes or its reliability, as CSV or JSON.

Read like the round itself: by any member of its project, anyone else gets 404.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from exports import rounds
from exports.round_files import WHAT, round_csv, round_json
from exports.rounds_api import _round_for
from extractor.api import Conflict

FORMATS = ("csv", "json")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class RoundDownloadQuerySerializer(serializers.Serializer):
    what = serializers.ChoiceField(choices=WHAT, default="codes")
    format = serializers.ChoiceField(choices=FORMATS, default="csv")


class FileFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` names the file asked for here, not a renderer: DRF would otherwise
    answer 404 to ``?format=csv`` for want of a CSV renderer. Errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class RoundDownloadView(APIView):
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        summary="Download a round's codes (one row per document x variable x coder) or "
        "its reliability (one row per variable)",
        description="CSV: UTF-8 with a byte order mark, `what` chooses the table. JSON: "
        "`{round, reliability, codes}`, the whole round whatever `what` says.",
        parameters=[
            OpenApiParameter("what", str, enum=WHAT, default="codes"),
            OpenApiParameter("format", str, enum=FORMATS, default="csv"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="`what` or `format` is not one of the choices"),
            404: OpenApiResponse(description="No such round in the caller's projects"),
        },
    )
    def get(self, request: Request, round_id: int) -> HttpResponse:
        coding_round = _round_for(request, round_id)
        query = RoundDownloadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        what, file_format = query.validated_data["what"], query.validated_data["format"]
        if (what == "codes" or file_format == "json") and rounds.values_hidden_from(
            coding_round, request.user
        ):
            raise Conflict(rounds.BLIND_UNTIL_COMPLETED, code="round_blind")
        if file_format == "csv":
            content = round_csv(coding_round, what)
            filename = f"round-{coding_round.pk}-{what}.csv"
        else:
            content = json.dumps(
                round_json(coding_round), ensure_ascii=False, cls=DjangoJSONEncoder
            ).encode("utf-8")
            filename = f"round-{coding_round.pk}.json"
        response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
