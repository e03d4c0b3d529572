"""Step 5 REST API: results, reviews, agreement, exports (paths and fields as API.md)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from exports import blinding
from exports.compare import versions_compared
from exports.downloads import download_response
from exports.freshness import exports_mark_out_of_date
from exports.inputs import CompareQuerySerializer, ExportCreateSerializer, version_asked
from exports.models import Export
from exports.queue import QueueScope, queue_item, queue_next
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
from exports.review import UNSET, ReviewError, blind_entry, extraction_review
from exports.services import ExportError, export_create
from exports.writers import BOOLEANS
from extractor.api import Conflict, page_not_found, page_number_param, page_size_param
from extractor.fields import ValueField
from extractor.text import MAX_BIGINT
from processing.models import Extraction
from projects import access
from projects.api import DocumentRefSerializer
from projects.selectors import project_get_for_user, require_role
from schemas.models import SchemaVersion
from schemas.types import VariableType
from schemas.versions import with_version_number


def _version_or_error(project, raw):
    version = version_asked(project, raw)
    if version is None:
        raise Conflict("The project has no confirmed schema version yet.", code="no_version")
    return version


class ResultCellSerializer(serializers.Serializer):
    """One value of a results row (documentation only: see cell_payload)."""

    extraction_id = serializers.IntegerField()
    value = ValueField(allow_null=True)
    status = serializers.ChoiceField(
        choices=Extraction.Status.choices, help_text="How the checks judged the model's value."
    )
    evidence = serializers.CharField(allow_blank=True)
    evidence_start = serializers.IntegerField(allow_null=True)
    evidence_end = serializers.IntegerField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    human_value = ValueField(allow_null=True)
    corrected = serializers.BooleanField()
    verified = serializers.BooleanField()
    final_value = ValueField(allow_null=True)
    message = serializers.CharField(allow_blank=True)
    model_value = ValueField(allow_null=True, help_text="The model's value.")
    review_status = serializers.ChoiceField(choices=Extraction.Review.choices)
    evidence_check = serializers.ChoiceField(
        choices=Extraction.EvidenceCheck.choices,
        allow_blank=True,
        help_text="passed, failed or not_applicable; empty: nothing checked.",
    )
    carried_from = serializers.IntegerField(
        allow_null=True,
        help_text="The schema version this value and its review were carried from, "
        "unchanged; null when this version's own run gave it.",
    )


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
        blinding.refuse_in_api(request.user, version.pk)
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
    value = ValueField(read_only=True)
    human_value = ValueField(read_only=True)
    final_value = ValueField(read_only=True)
    blind_value = ValueField(read_only=True)
    review_status = serializers.ChoiceField(choices=Extraction.Review.choices, read_only=True)
    evidence_check = serializers.ChoiceField(
        choices=Extraction.EvidenceCheck.choices,
        allow_blank=True,
        read_only=True,
        help_text="passed, failed or not_applicable; empty when there was no quote to check "
        "(none given, or not found in the document).",
    )

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
            "human_evidence",
            "corrected",
            "verified",
            "final_value",
            "review_status",
            "evidence_check",
            "blind_entered",
            "blind_value",
            "reviewed_at",
            "carried_from",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.Serializer):
    human_value = ValueField(
        required=False, allow_null=True, help_text="The correct value; null means none."
    )
    human_evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="With human_value: the quote that supports your value (exports show it).",
    )
    blind_value = ValueField(
        required=False,
        allow_null=True,
        help_text="Blind review: your own answer, given before seeing the model's. It is "
        "what agreement counts; the value becomes verified when it agrees with the "
        "model's, else corrected to it (send corrected: false to take the model's after).",
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
            if "blind_value" in data:
                if len(data) > 1:
                    raise ReviewError({"blind_value": ["Send a blind value on its own."]})
                blind_entry(extraction=extraction, user=request.user, value=data["blind_value"])
            else:
                extraction_review(
                    extraction=extraction,
                    user=request.user,
                    human_value=data.get("human_value", UNSET),
                    verified=data.get("verified"),
                    corrected=data.get("corrected"),
                    human_evidence=data.get("human_evidence"),
                )
        except ReviewError as exc:
            raise serializers.ValidationError(exc.errors) from None
        extraction.refresh_from_db()
        return Response(ExtractionSerializer(extraction).data)

    def _get(self, request: Request, extraction_id: int) -> Extraction:
        """The value, in one of the user's projects (404 otherwise); changing it is for
        the owner and coders."""
        extraction = get_object_or_404(
            Extraction.objects.for_user(request.user).select_related("schema_version__project"),
            pk=extraction_id,
        )
        can = access.for_method(request.method, unsafe=access.CODE)
        if can != access.READ:
            require_role(request.user, extraction.schema_version.project, can)
        blinding.refuse_in_api(request.user, extraction.schema_version_id)
        return extraction


class AgreementRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=VariableType.choices)
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


class CompareSideSerializer(serializers.Serializer):
    agreement = serializers.FloatField(allow_null=True)
    kappa = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(help_text="Documents with a checked value and this version's.")


class CompareVariableSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField(help_text="b's type of the variable where b has it, else a's.")
    in_a = serializers.BooleanField()
    in_b = serializers.BooleanField()
    a = CompareSideSerializer()
    b = CompareSideSerializer()
    changed_values = serializers.IntegerField(
        help_text="Documents whose model value differs between the two versions."
    )
    compared = serializers.IntegerField(help_text="Documents with a value in both versions.")


class CompareVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    note = serializers.CharField(allow_blank=True)


class VersionsComparedSerializer(serializers.Serializer):
    a = CompareVersionSerializer()
    b = CompareVersionSerializer()
    variables = CompareVariableSerializer(many=True)


class SchemaCompareView(APIView):
    @extend_schema(
        summary="Two schema versions' agreement with the values people checked",
        description="Both versions are measured against the same checked values (a check "
        "made in either version counts for both), so the figures differ only by what the "
        "model answered. Variables in b's order, then those only a has.",
        parameters=[CompareQuerySerializer],
        responses={
            200: VersionsComparedSerializer,
            400: OpenApiResponse(description="a or b missing or not a version number, or equal"),
            404: OpenApiResponse(description="No such project, or no such version in it"),
        },
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id)
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        a = _version_numbered(project, query.validated_data["a"])
        b = _version_numbered(project, query.validated_data["b"])
        blinding.refuse_in_api(request.user, a.pk, b.pk)
        body = {"a": a, "b": b, "variables": versions_compared(project=project, a=a, b=b)}
        return Response(VersionsComparedSerializer(body).data)


def _version_numbered(project, number: int) -> SchemaVersion:
    version = SchemaVersion.objects.filter(project=project, number=number).first()
    if version is None:
        raise exceptions.NotFound(f"This project has no schema version {number}.")
    return version


class ExportSerializer(serializers.ModelSerializer):
    schema_version = serializers.IntegerField(source="schema_version.number", read_only=True)
    download_url = serializers.SerializerMethodField()
    include_evidence = serializers.SerializerMethodField()
    include_audit = serializers.SerializerMethodField()
    layout = serializers.SerializerMethodField(help_text="wide or long.")
    booleans = serializers.SerializerMethodField(help_text="CSV: true_false or 1_0.")
    out_of_date = serializers.SerializerMethodField(
        help_text="The values or documents changed after the file was written: export again."
    )

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
            "include_audit",
            "layout",
            "booleans",
            "out_of_date",
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

    def get_include_audit(self, export: Export) -> bool:
        return bool(export.options.get("include_audit"))

    @extend_schema_field(serializers.ChoiceField(choices=Export.Layout.choices))
    def get_layout(self, export: Export) -> str:
        return export.options.get("layout") or Export.Layout.WIDE

    @extend_schema_field(serializers.ChoiceField(choices=BOOLEANS))
    def get_booleans(self, export: Export) -> str:
        return export.options.get("booleans") or "true_false"

    def get_out_of_date(self, export: Export) -> bool:
        if not hasattr(export, "out_of_date"):  # marked in bulk by the list
            exports_mark_out_of_date([export])
        return export.out_of_date


@extend_schema_view(get=extend_schema(summary="The project's exports, newest first"))
class ExportListView(generics.ListAPIView):
    serializer_class = ExportSerializer
    throttle_scope = "export"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        return with_version_number(Export.objects.filter(project=project))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            exports_mark_out_of_date(page)  # one reading of the data per version listed
        return page

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
        blinding.refuse_in_api(request.user, getattr(data["version"], "pk", None))
        try:
            export = export_create(
                project=project,
                user=request.user,
                format=data["format"],
                version=data["version"],
                include_evidence=data["include_evidence"],
                include_audit=data["include_audit"],
                bom=data["bom"],
                layout=data["layout"],
                booleans=data["booleans"],
                package_formats=data["package_formats"],
                include_texts=data["include_texts"],
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
            (200, Export.MEDIA_TYPES["dta"]): OpenApiTypes.BINARY,
            (200, Export.MEDIA_TYPES["sav"]): OpenApiTypes.BINARY,
            (200, Export.MEDIA_TYPES["parquet"]): OpenApiTypes.BINARY,
            (200, Export.MEDIA_TYPES["package"]): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, export_id: int):
        export = get_object_or_404(Export.objects.for_user(request.user), pk=export_id)
        blinding.refuse_in_api(request.user, export.schema_version_id)
        return download_response(export)


class QueueItemSerializer(serializers.Serializer):
    """The next value to check; outside blind mode also what the model said."""

    extraction_id = serializers.IntegerField()
    document = DocumentRefSerializer()
    variable = inline_serializer(
        "QueueVariable",
        {
            "key": serializers.CharField(),
            "label": serializers.CharField(),
            "type": serializers.ChoiceField(choices=VariableType.choices),
        },
    )
    progress = inline_serializer(
        "QueueProgress",
        {"checked": serializers.IntegerField(), "total": serializers.IntegerField()},
    )
    blind = serializers.BooleanField()
    model_value = ValueField(required=False, allow_null=True)
    evidence = serializers.CharField(required=False, allow_blank=True)
    evidence_start = serializers.IntegerField(required=False, allow_null=True)
    evidence_end = serializers.IntegerField(required=False, allow_null=True)
    confidence = serializers.FloatField(required=False, allow_null=True)


class QueueQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT)
    before = serializers.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT)
    blind = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Default: the project's setting."
    )


@extend_schema(
    summary="The next value to check in the review queue",
    parameters=[
        QueueQuerySerializer,
        OpenApiParameter("variable", str, description="Only this variable's values."),
        OpenApiParameter("status", str, description="flagged, or one extraction status."),
        OpenApiParameter("job", int, description="Only the values of this job."),
        OpenApiParameter("schema_version", int, description="Default: the current version."),
    ],
    responses={
        200: QueueItemSerializer,
        204: OpenApiResponse(description="Nothing left to check in this scope"),
    },
)
class ReviewQueueNextView(APIView):
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id, can=access.CODE)
        query = QueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        version = _version_or_error(project, request.query_params.get("schema_version"))
        blinding.refuse_in_api(request.user, version.pk)
        scope = QueueScope.from_query(version, request.query_params)
        options = query.validated_data
        item = queue_next(scope, after=options.get("after"), before=options.get("before"))
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        blind = project.blind_review if options.get("blind") is None else options["blind"]
        return Response(queue_item(item, scope, blind=blind))
