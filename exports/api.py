"""Step 5 REST API: results, reviews, agreement, exports (paths and fields as API.md)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from exports.downloads import download_response
from exports.inputs import ExportCreateSerializer, version_asked
from exports.models import Export
from exports.results import (
    FLAGGED,
    PagesExceeded,
    ResultFilters,
    cached_results,
    cell_payload,
    project_agreement,
    results_page,
    results_state,
)
from exports.review import UNSET, ReviewError, extraction_review
from exports.services import ExportError, export_create
from extractor.api import Conflict, page_not_found, page_number_param, page_size_param
from processing.models import Extraction
from projects.selectors import project_get_for_user
from schemas.versions import with_version_number


def _version_or_error(project, raw):
    version = version_asked(project, raw)
    if version is None:
        raise Conflict("The project has no confirmed schema version yet.", code="no_version")
    return version


class ResultCellSerializer(serializers.Serializer):
    """One value of a results row (documentation only: see cell_payload)."""

    extraction_id = serializers.IntegerField()
    value = serializers.JSONField(allow_null=True)
    status = serializers.CharField(help_text="The extraction status.")
    evidence = serializers.CharField(allow_blank=True)
    evidence_start = serializers.IntegerField(allow_null=True)
    evidence_end = serializers.IntegerField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    human_value = serializers.JSONField(allow_null=True)
    corrected = serializers.BooleanField()
    verified = serializers.BooleanField()
    final_value = serializers.JSONField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class ResultDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    metadata = serializers.DictField()


class ResultRowSerializer(serializers.Serializer):
    document = ResultDocumentSerializer()
    values = serializers.DictField(
        child=ResultCellSerializer(allow_null=True),
        help_text="One entry per variable key; null where the document has no value.",
    )


class ResultsPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    schema_version = serializers.IntegerField()
    results = ResultRowSerializer(many=True)


class ResultsView(APIView):
    @extend_schema(
        summary="One row per document, one value per variable",
        parameters=[
            OpenApiParameter("schema_version", int),
            OpenApiParameter(
                "status",
                str,
                description=f"`{FLAGGED}` (a problem nobody reviewed), `reviewed`, "
                "`unverified`, or an extraction status",
            ),
            OpenApiParameter("variable", str, description="Limit the status filter to one key"),
            OpenApiParameter("search", str),
            OpenApiParameter("job", int, description="Only the documents of this job"),
            OpenApiParameter("sort", str, description="`name`, `<key>` or `-<key>`"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=ResultsPageSerializer,
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id)
        version = _version_or_error(project, request.query_params.get("schema_version"))
        query = request.query_params
        page_number = page_number_param(query.get("page"))
        page_size = page_size_param(query.get("page_size"))
        built = cached_results(
            project,
            version,
            results_state(project, version),
            "api",
            query,
            lambda: _results_rows(project, version, query, page_number, page_size),
        )
        base = request.build_absolute_uri(request.path)
        links = query.copy()

        def link(number):
            if number is None:
                return None
            links["page"] = number
            return f"{base}?{links.urlencode()}"

        return Response(
            {
                "count": built["count"],
                "next": link(built["next"]),
                "previous": link(built["previous"]),
                "schema_version": version.number,
                "results": built["results"],
            }
        )


def _results_rows(project, version, query, page_number: int, page_size: int) -> dict:
    """A page of rows as the API shows them, and the neighbouring page numbers; a page
    past the end is a 404, as in every other list."""
    try:
        page, rows = results_page(
            project,
            version,
            ResultFilters.from_query(query),
            page_number=page_number,
            page_size=page_size,
            strict=True,
        )
    except PagesExceeded as exc:
        raise page_not_found(exc.number, exc.pages) from None
    keys = version.variable_keys
    results = [
        {
            "document": {
                "id": row.document.pk,
                "name": row.document.name,
                "metadata": row.document.metadata,
            },
            "values": {key: cell_payload(cell) for key, cell in zip(keys, row.cells, strict=True)},
        }
        for row in rows
    ]
    return {
        "count": page.paginator.count,
        "next": page.next_page_number() if page.has_next() else None,
        "previous": page.previous_page_number() if page.has_previous() else None,
        "results": results,
    }


class ExtractionSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="document_id", read_only=True)
    schema_version = serializers.IntegerField(source="schema_version.number", read_only=True)
    final_value = serializers.JSONField(read_only=True)

    class Meta:
        model = Extraction
        fields = [
            "id",
            "document",
            "schema_version",
            "variable_key",
            "value",
            "status",
            "message",
            "evidence",
            "evidence_start",
            "evidence_end",
            "confidence",
            "raw",
            "model",
            "human_value",
            "corrected",
            "verified",
            "final_value",
            "reviewed_at",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.Serializer):
    human_value = serializers.JSONField(
        required=False, allow_null=True, help_text="The correct value; null means none."
    )
    verified = serializers.BooleanField(required=False)
    corrected = serializers.BooleanField(
        required=False, help_text="false removes a correction (the model's value applies)."
    )


class ExtractionDetailView(APIView):
    @extend_schema(summary="A value with its evidence", responses=ExtractionSerializer)
    def get(self, request: Request, extraction_id: int) -> Response:
        return Response(ExtractionSerializer(self._get(request, extraction_id)).data)

    @extend_schema(
        summary="Correct or verify a value (the model's value is kept)",
        request=ReviewSerializer,
        responses=ExtractionSerializer,
    )
    def patch(self, request: Request, extraction_id: int) -> Response:
        extraction = self._get(request, extraction_id)
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            extraction_review(
                extraction=extraction,
                user=request.user,
                human_value=data.get("human_value", UNSET),
                verified=data.get("verified"),
                corrected=data.get("corrected"),
            )
        except ReviewError as exc:
            raise serializers.ValidationError(exc.errors) from None
        extraction.refresh_from_db()
        return Response(ExtractionSerializer(extraction).data)

    def _get(self, request: Request, extraction_id: int) -> Extraction:
        return get_object_or_404(
            Extraction.objects.for_user(request.user).select_related("schema_version"),
            pk=extraction_id,
        )


class AgreementRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    n_verified = serializers.IntegerField()
    n_agree = serializers.IntegerField()
    agreement = serializers.FloatField(allow_null=True)
    kappa = serializers.FloatField(allow_null=True)


class AgreementView(APIView):
    @extend_schema(
        summary="Model-human agreement per variable on reviewed values",
        parameters=[OpenApiParameter("schema_version", int)],
        responses=AgreementRowSerializer(many=True),
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id)
        version = _version_or_error(project, request.query_params.get("schema_version"))
        return Response(project_agreement(project, version))


class ExportSerializer(serializers.ModelSerializer):
    schema_version = serializers.IntegerField(source="schema_version.number", read_only=True)
    download_url = serializers.SerializerMethodField()
    include_evidence = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "format",
            "status",
            "schema_version",
            "row_count",
            "size_bytes",
            "include_evidence",
            "error",
            "download_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_download_url(self, export: Export) -> str | None:
        if export.status != Export.Status.COMPLETED:
            return None
        path = reverse("api-export-download", args=[export.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_include_evidence(self, export: Export) -> bool:
        return bool(export.options.get("include_evidence"))


@extend_schema_view(get=extend_schema(summary="The project's exports, newest first"))
class ExportListView(generics.ListAPIView):
    serializer_class = ExportSerializer
    throttle_scope = "export"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        return with_version_number(Export.objects.filter(project=project))

    @extend_schema(
        summary="Export the dataset (small exports answer completed at once)",
        request=ExportCreateSerializer,
        responses={201: ExportSerializer},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id)
        body = ExportCreateSerializer(data=request.data, context={"project": project})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            export = export_create(
                project=project,
                user=request.user,
                format=data["format"],
                version=data["version"],
                include_evidence=data["include_evidence"],
                bom=data["bom"],
            )
        except ExportError as exc:
            raise Conflict(str(exc), code=exc.code) from None
        return Response(
            ExportSerializer(export, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ExportDetailView(generics.RetrieveAPIView):
    serializer_class = ExportSerializer

    @extend_schema(summary="An export and its status")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> Export:
        return get_object_or_404(
            with_version_number(Export.objects.for_user(self.request.user)),
            pk=self.kwargs["export_id"],
        )


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportDownloadView(APIView):
    @extend_schema(
        summary="Download the export file",
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.OBJECT,  # {metadata, codebook, rows}
        },
    )
    def get(self, request: Request, export_id: int):
        export = get_object_or_404(Export.objects.for_user(request.user), pk=export_id)
        return download_response(export)
