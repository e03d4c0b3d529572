"""Step 1 REST API: projects and documents (paths and fields as in API.md)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from extractor.api import ApiError, Conflict, PayloadTooLarge, UnsupportedFileType
from extractor.fields import JsonObjectField
from extractor.parsers import JSONParser
from projects import access, members, quota, services
from projects.ingest import ocr
from projects.ingest.sniff import ZIP
from projects.models import Document, Project, ProjectMember, Upload
from projects.selectors import (
    document_get_for_user,
    document_queryset_for_user,
    document_search,
    project_get_for_user,
    project_queryset_for_user,
    project_step,
    with_summary,
)
from projects.uploads import read_uploads


class ProjectSerializer(serializers.ModelSerializer):
    model = serializers.CharField(
        source="model_name",
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="LLM model; empty or absent uses the server default.",
    )
    step = serializers.SerializerMethodField(help_text="Where the workflow stands, 1-5.")
    # The figures come from projects.selectors (with_summary, project_get_for_user).
    document_count = serializers.IntegerField(read_only=True)
    variable_count = serializers.IntegerField(read_only=True)
    current_schema_version = serializers.IntegerField(
        source="current_version_number", read_only=True, allow_null=True
    )
    reliability_threshold = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=0,
        max_value=1,
        required=False,
        coerce_to_string=False,
        help_text="The Krippendorff's alpha (with the model) every variable must reach on a "
        "completed coding round before a full run, when require_reliability is on.",
    )
    owner = serializers.CharField(source="owner.username", read_only=True)
    role = serializers.ChoiceField(
        source="access_role",
        choices=access.PROJECT_ROLES,
        read_only=True,
        help_text="What you are in this project: owner, coder (codes and reviews values) "
        "or viewer (reads only).",
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "description",
            "instructions",
            "model",
            "ocr_languages",
            "blind_review",
            "require_reliability",
            "reliability_threshold",
            "step",
            "document_count",
            "variable_count",
            "current_schema_version",
            "owner",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "role", "created_at", "updated_at"]

    def get_step(self, project: Project) -> int:
        return project_step(project)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Give the project a name.")
        return value.strip()

    def validate_ocr_languages(self, value: str) -> str:
        # Django's ValidationError: DRF reports it under the field like its own.
        return ocr.ocr_languages_clean(value)

    def _model_field(self, validated_data: dict) -> dict:
        if "model_name" in validated_data:
            validated_data["model"] = validated_data.pop("model_name").strip()
        return validated_data

    def create(self, validated_data: dict) -> Project:
        return super().create(self._model_field(validated_data))

    def update(self, instance: Project, validated_data: dict) -> Project:
        return super().update(instance, self._model_field(validated_data))


class DocumentSerializer(serializers.ModelSerializer):
    metadata = JsonObjectField(
        read_only=True,
        help_text="Table columns of a CSV/XLSX row, a PDF's properties, OCR confidences.",
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "name",
            "source_type",
            "size_bytes",
            "sha256",
            "char_count",
            "token_count",
            "page_count",
            "status",
            "error",
            "metadata",
            "created_at",
        ]
        read_only_fields = fields


class DocumentRefSerializer(serializers.Serializer):
    """The document another object is about: a job item, a log line, a coding item."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class DocumentDetailSerializer(DocumentSerializer):
    page_offsets = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Char index where each page starts.",
    )

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "text", "page_offsets"]
        read_only_fields = fields


class PasteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    text = serializers.CharField(trim_whitespace=False)

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The text is empty.")
        return value


class UploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), help_text="One or more files.")
    text_column = serializers.CharField(
        required=False, help_text="For CSV/XLSX: the column that holds the text."
    )


class IngestNoteSerializer(serializers.Serializer):
    filename = serializers.CharField()
    message = serializers.CharField()


class DuplicateSerializer(serializers.Serializer):
    filename = serializers.CharField()
    existing_id = serializers.IntegerField()


class UploadQueuedSerializer(serializers.Serializer):
    filename = serializers.CharField()
    upload_id = serializers.IntegerField()
    document_id = serializers.IntegerField(allow_null=True)


class IngestErrorSerializer(serializers.Serializer):
    filename = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    document_id = serializers.IntegerField(required=False, allow_null=True)


IngestReportSerializer = inline_serializer(
    "IngestReport",
    {
        "notes": IngestNoteSerializer(many=True),
        "created": DocumentSerializer(many=True),
        "duplicates": DuplicateSerializer(many=True),
        "processing": UploadQueuedSerializer(
            many=True,
            help_text="Stored and handed to a worker: follow them at uploads/{upload_id}/.",
        ),
        "errors": IngestErrorSerializer(many=True),
    },
)


@extend_schema_view(
    get=extend_schema(summary="List your projects"),
    post=extend_schema(summary="Create a project"),
)
class ProjectListView(generics.ListCreateAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return project_queryset_for_user(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else with_summary(page)

    def perform_create(self, serializer: ProjectSerializer) -> None:
        serializer.save(owner=self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        project = project_get_for_user(request.user, serializer.instance.pk)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="A project"),
    patch=extend_schema(summary="Rename or describe a project"),
    delete=extend_schema(summary="Delete a project and everything in it"),
)
class ProjectDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ProjectSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    lookup_url_kwarg = "project_id"

    def get_queryset(self):  # what the OpenAPI schema is generated from
        return project_queryset_for_user(self.request.user)

    def get_object(self) -> Project:
        project = project_get_for_user(
            self.request.user,
            self.kwargs["project_id"],
            can=access.for_method(self.request.method),
        )
        self.check_object_permissions(self.request, project)
        return project

    def update(self, request: Request, *args, **kwargs) -> Response:
        kwargs["partial"] = True
        super().update(request, *args, **kwargs)
        project = project_get_for_user(request.user, self.kwargs["project_id"])
        return Response(self.get_serializer(project).data)

    def perform_destroy(self, instance: Project) -> None:
        services.project_delete(project=instance)


@extend_schema_view(
    get=extend_schema(
        summary="List a project's documents (without their text)",
        parameters=[
            OpenApiParameter("status", enum=Document.Status.values),
            OpenApiParameter("search", str, description="Matches names and text."),
        ],
    ),
)
class DocumentListView(generics.ListAPIView):
    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    takes_uploads = True  # multipart bodies up to UPLOAD_MAX_REQUEST_BYTES, checked below
    throttle_scope = "upload"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        queryset = document_queryset_for_user(self.request.user).filter(project=project)
        return document_search(
            queryset,
            search=self.request.query_params.get("search", "").strip(),
            status=self.request.query_params.get("status", ""),
        )

    @extend_schema(
        summary="Add documents: upload files (multipart) or send pasted text (JSON)",
        request={
            "multipart/form-data": UploadSerializer,
            "application/json": PasteSerializer,
        },
        responses={
            201: IngestReportSerializer,
            400: OpenApiResponse(description="No file or empty text"),
            413: OpenApiResponse(
                description="Upload larger than the limit, or no room left in the project's "
                "storage quota (project_storage_full, with used_bytes and limit_bytes)"
            ),
            415: OpenApiResponse(description="Unsupported file type"),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id, can=access.MANAGE)
        # Bodies over UPLOAD_MAX_REQUEST_BYTES never get here (ApiErrorMiddleware, 413).
        _raise_if_project_full(project)
        if request.content_type.startswith("application/json"):
            paste = PasteSerializer(data=request.data)
            paste.is_valid(raise_exception=True)
            report = services.document_create_from_text(project=project, **paste.validated_data)
            _raise_if_no_room(report, project)
        else:
            report = self._ingest_files(request, project)
        body = {
            "created": DocumentSerializer(report.created, many=True).data,
            "duplicates": report.duplicates,
            "errors": report.errors,
            "notes": report.notes,
            "processing": report.processing,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def _ingest_files(self, request: Request, project: Project) -> services.IngestReport:
        uploads = request.FILES.getlist("files")
        if not uploads:
            raise serializers.ValidationError({"files": ["Send one or more files as `files`."]})
        report = services.documents_ingest(
            project=project,
            files=read_uploads(uploads),
            text_column=request.data.get("text_column") or None,
            user=request.user,
            defer=True,
        )
        _raise_if_no_room(report, project)
        _raise_if_all_rejected(report, len(uploads))
        return report


def _raise_if_project_full(project: Project) -> None:
    """A project already at its storage quota answers 413 before the body is read."""
    use = quota.storage_use(project.pk)
    if use.full:
        raise PayloadTooLarge(use.full_message(), code=quota.CODE, details=use.details())


def _raise_if_no_room(report: services.IngestReport, project: Project) -> None:
    """Nothing added because the rest did not fit the quota (or the per-file limit):
    413 with what the project uses of its limit, as for a full project."""
    if report.created or report.duplicates or report.processing or not report.errors:
        return
    codes = {error["code"] for error in report.errors}
    if quota.CODE not in codes or not codes <= {quota.CODE, "file_too_large"}:
        return
    first = next(error for error in report.errors if error["code"] == quota.CODE)
    details = quota.storage_use(project.pk).details() | {"errors": report.errors}
    raise PayloadTooLarge(first["message"], code=quota.CODE, details=details)


def _raise_if_all_rejected(report: services.IngestReport, file_count: int) -> None:
    """A request whose every file was refused for size or type answers 413 or 415, as
    API.md says; a batch with anything accepted answers 201 with per-file errors."""
    if report.created or report.duplicates or report.processing or not report.errors:
        return
    codes = {error["code"] for error in report.errors}
    details = {"errors": report.errors}
    if codes == {"file_too_large"}:
        raise PayloadTooLarge(report.errors[0]["message"], details=details)
    if codes == {"unsupported_file_type"}:
        raise UnsupportedFileType(report.errors[0]["message"], details=details)


@extend_schema_view(
    get=extend_schema(summary="A document with its extracted text"),
    delete=extend_schema(summary="Delete a document"),
)
class DocumentDetailView(generics.RetrieveDestroyAPIView):
    serializer_class = DocumentDetailSerializer

    def get_object(self) -> Document:
        project = project_get_for_user(
            self.request.user,
            self.kwargs["project_id"],
            can=access.for_method(self.request.method),
        )
        return document_get_for_user(self.request.user, project, self.kwargs["document_id"])

    def perform_destroy(self, instance: Document) -> None:
        services.document_delete(document=instance)


# What an uploaded file was read as: a document's source types, or an archive.
UPLOAD_SOURCE_TYPES = [*Document.SourceType.values, ZIP]


class UploadStatusSerializer(serializers.ModelSerializer):
    """An uploaded file and how far its parse has got (``projects.parsing``)."""

    progress = serializers.FloatField(read_only=True, help_text="0 to 1.")
    source_type = serializers.ChoiceField(choices=UPLOAD_SOURCE_TYPES, read_only=True)
    duplicates = DuplicateSerializer(many=True, read_only=True)
    errors = IngestErrorSerializer(many=True, read_only=True)
    notes = IngestNoteSerializer(many=True, read_only=True)
    document = serializers.IntegerField(
        source="document_id",
        read_only=True,
        allow_null=True,
        help_text="The file's document while it is queued or processing, then the "
        "document it became (one-document files); null for tables and archives.",
    )

    class Meta:
        model = Upload
        fields = [
            "id",
            "filename",
            "status",
            "source_type",
            "size_bytes",
            "progress",
            "documents_created",
            "duplicates",
            "errors",
            "notes",
            "error",
            "document",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


@extend_schema_view(get=extend_schema(summary="Uploads parsed by the workers, newest first"))
class UploadListView(generics.ListAPIView):
    serializer_class = UploadStatusSerializer

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        queryset = Upload.objects.filter(project=project)
        wanted = self.request.query_params.get("status", "")
        if wanted in Upload.Status.values:
            queryset = queryset.filter(status=wanted)
        return queryset


@extend_schema_view(get=extend_schema(summary="One upload and how far its parse has got"))
class UploadDetailView(generics.RetrieveAPIView):
    serializer_class = UploadStatusSerializer

    def get_object(self) -> Upload:
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        return get_object_or_404(Upload, project=project, pk=self.kwargs["upload_id"])


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ProjectMember
        fields = ["id", "username", "role", "created_at"]
        read_only_fields = fields


class MemberAddSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=ProjectMember.Role.choices)


@extend_schema_view(get=extend_schema(summary="The project's members (the owner is not one)"))
class MemberListView(generics.ListAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        return members.members_of(project)

    @extend_schema(
        summary="Add an existing user as a coder or a viewer (the owner only)",
        request=MemberAddSerializer,
        responses={
            201: MemberSerializer,
            404: OpenApiResponse(description="No such user (user_not_found)"),
            409: OpenApiResponse(description="Already a member, or the owner (already_member)"),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id, can=access.MANAGE)
        body = MemberAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            member = members.member_add(project=project, added_by=request.user, **data)
        except members.MemberError as exc:
            if exc.code == "user_not_found":
                raise ApiError(str(exc), code=exc.code, status_code=404) from None
            raise Conflict(str(exc), code=exc.code) from None
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailView(generics.DestroyAPIView):
    serializer_class = MemberSerializer

    @extend_schema(summary="Take a member out of the project (the owner only)")
    def delete(self, request: Request, *args, **kwargs) -> Response:
        return super().delete(request, *args, **kwargs)

    def get_object(self) -> ProjectMember:
        project = project_get_for_user(
            self.request.user, self.kwargs["project_id"], can=access.MANAGE
        )
        return get_object_or_404(ProjectMember, project=project, pk=self.kwargs["member_id"])

    def perform_destroy(self, instance: ProjectMember) -> None:
        members.member_remove(member=instance)
