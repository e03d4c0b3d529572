"""Steps 2 and 3 REST API: variables, suggestions, the schema, versions, preview.

(The estimate of the next run is processing's: it counts the values that run reuses.)"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from extractor.api import Conflict, ServiceUnavailable
from extractor.fields import JsonObjectField
from extractor.llm.errors import LLMError
from extractor.text import whole_number
from projects import access
from projects.models import Document
from projects.selectors import project_get_for_user
from schemas import variables as variable_service
from schemas.calls import prompt_preview
from schemas.changes import version_changes
from schemas.models import MAX_ALLOWED_VALUE_LENGTH, MAX_ALLOWED_VALUES, SchemaVersion, Variable
from schemas.suggestions import MAX_SUGGESTIONS, suggest_variables
from schemas.types import VariableType
from schemas.versions import (
    NOTE_MAX_LENGTH,
    NothingToConfirm,
    schema_confirm,
    schema_restore,
    schema_state,
)


class VariableSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=VariableType.choices)
    label = serializers.CharField(
        required=False, allow_blank=True, max_length=variable_service.LABEL_MAX
    )
    allowed_values = serializers.ListField(
        child=serializers.CharField(
            allow_blank=True, trim_whitespace=False, max_length=MAX_ALLOWED_VALUE_LENGTH
        ),
        max_length=MAX_ALLOWED_VALUES,
        required=False,
        help_text="Required, unique and non-empty for category and multi_category.",
    )
    synonyms = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=200), max_length=20),
        required=False,
        help_text="Category types: {allowed value: [other words for it]}, which the evidence "
        "checks accept as naming the value.",
    )
    required = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = Variable
        fields = [
            "id",
            "key",
            "label",
            "type",
            "instructions",
            "allowed_values",
            "synonyms",
            "required",
            "position",
        ]
        read_only_fields = ["id", "position"]
        # Field rules live in schemas.variables; the serializer only shapes them.
        extra_kwargs = {"key": {"validators": []}, "instructions": {"required": True}}

    def validate(self, attrs: dict) -> dict:
        project = self.context["project"]
        try:
            return variable_service.variable_clean(
                project=project, data=attrs, instance=self.instance
            )
        except variable_service.VariableValidationError as exc:
            raise serializers.ValidationError(exc.errors) from None

    def create(self, validated_data: dict) -> Variable:
        try:
            return variable_service.variable_create(
                project=self.context["project"], data=validated_data
            )
        except variable_service.VariableValidationError as exc:
            raise serializers.ValidationError(exc.errors) from None

    def update(self, instance: Variable, validated_data: dict) -> Variable:
        return variable_service.variable_update(variable=instance, data=validated_data)


class VersionChangesSerializer(serializers.Serializer):
    """Keys of the version's variables by what changed from the version before."""

    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())


class PromptSerializer(serializers.Serializer):
    """The two messages the model gets: the system message and the per-document one."""

    system = serializers.CharField()
    user_template = serializers.CharField(
        help_text="The per-document message, with {document_name} and {document_text}."
    )


class VariableDefinitionSerializer(serializers.Serializer):
    """A variable's definition without its id and position."""

    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=VariableType.choices)
    instructions = serializers.CharField()
    allowed_values = serializers.ListField(child=serializers.CharField())
    required = serializers.BooleanField()


class VersionVariableSerializer(VariableDefinitionSerializer):
    """A variable as a version holds it (the draft's may have changed since)."""

    synonyms = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Present when the variable has any.",
    )


class VersionSerializer(serializers.ModelSerializer):
    variables = VersionVariableSerializer(many=True, read_only=True)
    json_schema = JsonObjectField(read_only=True)
    prompt = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = SchemaVersion
        fields = [
            "number",
            "note",
            "variables",
            "instructions",
            "prompt",
            "json_schema",
            "prompt_hash",
            "changes",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(VersionChangesSerializer)
    def get_changes(self, version: SchemaVersion) -> dict[str, list[str]]:
        return version_changes(version)

    @extend_schema_field(PromptSerializer)
    def get_prompt(self, version: SchemaVersion) -> dict[str, str]:
        return {"system": version.system_prompt, "user_template": version.user_template}

    def get_created_by(self, version: SchemaVersion) -> str | None:
        return version.created_by.get_username() if version.created_by else None


class ProjectScopedMixin:
    """Resolves the URL's project once, for its owner and members (anyone else: 404);
    every change made through steps 2-3 is the owner's (a member: 403)."""

    def get_project(self):
        if not hasattr(self, "_project"):
            self._project = project_get_for_user(
                self.request.user,
                self.kwargs["project_id"],
                can=access.for_method(self.request.method),
            )
        return self._project

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "project": self.get_project()}


@extend_schema_view(
    get=extend_schema(summary="The draft's variables, in order"),
    post=extend_schema(summary="Add a variable"),
)
class VariableListView(ProjectScopedMixin, generics.ListCreateAPIView):
    serializer_class = VariableSerializer

    def get_queryset(self):
        return Variable.objects.filter(project=self.get_project())


@extend_schema_view(
    get=extend_schema(summary="A variable"),
    patch=extend_schema(summary="Edit a variable"),
    delete=extend_schema(summary="Delete a variable"),
)
class VariableDetailView(ProjectScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = VariableSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    lookup_url_kwarg = "variable_id"

    def get_queryset(self):
        return Variable.objects.filter(project=self.get_project())

    def perform_destroy(self, instance: Variable) -> None:
        variable_service.variable_delete(variable=instance)


class ReorderSerializer(serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class VariableReorderView(ProjectScopedMixin, generics.GenericAPIView):
    serializer_class = VariableSerializer
    pagination_class = None  # answers the whole list; tells the OpenAPI document so

    @extend_schema(
        summary="Reorder the variables",
        request=ReorderSerializer,
        responses=VariableSerializer(many=True),
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project()  # another user's project is a 404, whatever the body
        body = ReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            ordered = variable_service.variables_reorder(
                project=project, order=body.validated_data["order"]
            )
        except variable_service.VariableValidationError as exc:
            raise serializers.ValidationError(exc.errors) from None
        return Response(self.get_serializer(ordered, many=True).data)


class SuggestSerializer(serializers.Serializer):
    document_ids = serializers.ListField(
        # Bounded: ids are 64-bit, and SQLite cannot compare a larger number (a 500).
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
    )
    max = serializers.IntegerField(
        required=False, default=10, min_value=1, max_value=MAX_SUGGESTIONS
    )


class SuggestionSerializer(VariableDefinitionSerializer):
    """A variable the model proposes, not saved."""


class SuggestResponseSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)


class VariableSuggestView(ProjectScopedMixin, APIView):
    throttle_scope = "suggest"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        summary="Variables the model suggests (not saved)",
        request=SuggestSerializer,
        responses=SuggestResponseSerializer,
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project()  # another user's project is a 404, whatever the body
        body = SuggestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data.get("document_ids")
        if ids:
            found = set(
                Document.objects.filter(project=project, pk__in=ids).values_list("pk", flat=True)
            )
            if missing := sorted(set(ids) - found):
                raise serializers.ValidationError(
                    {"document_ids": [f"No such documents in this project: {missing}."]}
                )
        try:
            suggestions = suggest_variables(
                project=project, document_ids=ids, limit=body.validated_data["max"]
            )
        except LLMError as exc:
            raise ServiceUnavailable(str(exc), code=exc.code) from None
        return Response({"suggestions": suggestions})


class SchemaSerializer(serializers.Serializer):
    variables = VariableSerializer(many=True)
    prompt = PromptSerializer()
    json_schema = serializers.DictField()
    prompt_hash = serializers.CharField()
    current_version = serializers.IntegerField(allow_null=True)
    dirty = serializers.BooleanField()


class SchemaView(ProjectScopedMixin, APIView):
    @extend_schema(summary="The draft schema as the model will see it", responses=SchemaSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project()
        state = schema_state(project)
        variables = Variable.objects.filter(project=project)
        return Response(
            {
                "variables": VariableSerializer(variables, many=True).data,
                "prompt": {
                    "system": state.bundle.system,
                    "user_template": state.bundle.user_template,
                },
                "json_schema": state.bundle.json_schema,
                "prompt_hash": state.bundle.prompt_hash,
                "current_version": state.current.number if state.current else None,
                "dirty": state.dirty,
            }
        )


class ConfirmSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


@extend_schema_view(get=extend_schema(summary="Every confirmed version, newest first"))
class VersionListView(ProjectScopedMixin, generics.ListAPIView):
    serializer_class = VersionSerializer

    def get_queryset(self):
        return SchemaVersion.objects.filter(project=self.get_project()).select_related("created_by")

    @extend_schema(
        summary="Confirm the draft as a new version",
        request=ConfirmSerializer,
        responses={201: VersionSerializer, 200: VersionSerializer},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project()  # another user's project is a 404, whatever the body
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        before = schema_state(project).current
        try:
            version = schema_confirm(
                project=project, user=request.user, note=body.validated_data.get("note", "")
            )
        except NothingToConfirm as exc:
            raise Conflict(str(exc), code="empty_schema") from None
        unchanged = before is not None and before.pk == version.pk
        return Response(
            VersionSerializer(version).data,
            status=status.HTTP_200_OK if unchanged else status.HTTP_201_CREATED,
        )


class VersionDetailView(ProjectScopedMixin, generics.RetrieveAPIView):
    serializer_class = VersionSerializer
    lookup_field = "number"

    @extend_schema(summary="One confirmed version")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return SchemaVersion.objects.filter(project=self.get_project())


class VersionRestoreView(ProjectScopedMixin, APIView):
    @extend_schema(
        summary="Restore a version into the draft and make it current",
        request=None,
        responses=VersionSerializer,
    )
    def post(self, request: Request, project_id: int, number: int) -> Response:
        project = self.get_project()
        version = get_object_or_404(SchemaVersion, project=project, number=number)
        schema_restore(project=project, version=version)
        return Response(VersionSerializer(version).data)


class PromptMessageSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["system", "user"])
    content = serializers.CharField()


class PromptCallSerializer(serializers.Serializer):
    group = serializers.IntegerField()
    groups = serializers.IntegerField()
    chunk = serializers.IntegerField()
    chunks = serializers.IntegerField()
    chunk_start = serializers.IntegerField()
    chunk_end = serializers.IntegerField()
    variables = serializers.ListField(child=serializers.CharField())
    messages = PromptMessageSerializer(many=True)
    response_format = serializers.DictField()
    max_output_tokens = serializers.IntegerField()
    input_tokens = serializers.IntegerField()


class PromptPreviewSerializer(serializers.Serializer):
    """The response of the prompt preview (documentation only)."""

    document = serializers.IntegerField()
    model = serializers.CharField()
    messages = PromptMessageSerializer(many=True, help_text="The first call's messages.")
    response_format = serializers.DictField(help_text="The first call's response format.")
    input_tokens = serializers.IntegerField(help_text="Over every call for the document.")
    llm_calls = serializers.IntegerField()
    calls = PromptCallSerializer(many=True)


class PromptPreviewView(ProjectScopedMixin, APIView):
    @extend_schema(
        summary="The exact messages and response format sent for one document",
        parameters=[OpenApiParameter("document", int, required=True)],
        responses=PromptPreviewSerializer,
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project()
        document_id = whole_number(request.query_params.get("document"))
        if document_id is None:
            raise serializers.ValidationError({"document": ["Give a document id: ?document=12."]})
        document = get_object_or_404(Document, project=project, pk=document_id)
        if document.status != Document.Status.READY:
            raise Conflict(
                "This document could not be read, so there is nothing to preview.",
                code="document_not_ready",
            )
        state = schema_state(project)
        if not state.variables:
            raise Conflict("Define at least one variable first.", code="empty_schema")
        return Response(
            prompt_preview(
                project=project,
                variables=state.variables,
                instructions=project.instructions,
                document=document,
            )
        )
