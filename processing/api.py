"""Step 4 REST API: jobs, their documents and logs (paths and fields as in API.md)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from extractor.api import Conflict
from extractor.fields import JsonObjectField
from processing import jobs
from processing.estimates import draft_estimate
from processing.inputs import JobCreateSerializer, ResumeSerializer
from processing.models import JobDocument, ProcessingJob, ProcessingLog, ProviderBatch
from processing.selectors import (
    job_eta_seconds,
    job_get_for_user,
    job_items,
    job_logs,
    jobs_for_project,
)
from projects import access
from projects.api import DocumentRefSerializer
from projects.selectors import project_get_for_user
from schemas.estimate import MODES
from schemas.inputs import EstimateQuerySerializer


class ProviderBatchSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField(
        help_text="The provider's batch id (null until submitted)."
    )
    request_counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="The provider's {total, completed, failed}."
    )

    class Meta:
        model = ProviderBatch
        fields = [
            "id",
            "status",
            "request_counts",
            "requests",
            "bytes",
            "created_at",
            "submitted_at",
            "ended_at",
            "collected_at",
            "error",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_id(self, batch: ProviderBatch) -> str | None:
        return batch.provider_id or None


class JobSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    schema_version = serializers.IntegerField(source="schema_version.number", read_only=True)
    progress = serializers.FloatField(read_only=True)
    cost_usd = serializers.FloatField(read_only=True)
    estimated_cost_usd = serializers.FloatField(read_only=True, allow_null=True)
    budget_usd = serializers.FloatField(read_only=True, allow_null=True)
    eta_seconds = serializers.SerializerMethodField()
    provider_batch = serializers.SerializerMethodField(
        help_text="Batch mode: the job's latest provider batch (id, status, "
        "request_counts and the rest); null for a standard job or before its first file."
    )
    provider_batches = serializers.SerializerMethodField(
        help_text="Batch mode: every provider batch of the job (one per input file)."
    )

    class Meta:
        model = ProcessingJob
        fields = [
            "id",
            "project",
            "kind",
            "mode",
            "status",
            "schema_version",
            "model",
            "total",
            "processed",
            "succeeded",
            "failed",
            "flagged",
            "progress",
            "llm_calls",
            "input_tokens",
            "cached_tokens",
            "output_tokens",
            "cost_usd",
            "estimated_cost_usd",
            "budget_usd",
            "eta_seconds",
            "error",
            "simulated",
            "provider_batch",
            "provider_batches",
            "sample_size",
            "seed",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_eta_seconds(self, job: ProcessingJob) -> int | None:
        return job_eta_seconds(job)

    def _batches(self, job: ProcessingJob) -> list[ProviderBatch]:
        if job.mode != ProcessingJob.Mode.BATCH:
            return []
        return list(job.batches.all())  # prefetched by the list's queryset

    @extend_schema_field(ProviderBatchSerializer(allow_null=True))
    def get_provider_batch(self, job: ProcessingJob) -> dict | None:
        batches = self._batches(job)
        return ProviderBatchSerializer(batches[-1]).data if batches else None

    @extend_schema_field(ProviderBatchSerializer(many=True))
    def get_provider_batches(self, job: ProcessingJob) -> list[dict]:
        return ProviderBatchSerializer(self._batches(job), many=True).data


class JobItemSerializer(serializers.ModelSerializer):
    document = serializers.SerializerMethodField()
    asked = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        read_only=True,
        help_text="The variables the model was asked for this document (the others were "
        "already held), recorded when it is done; null: every variable of the version, "
        "or not done yet.",
    )

    class Meta:
        model = JobDocument
        fields = [
            "document",
            "status",
            "attempts",
            "error",
            "llm_calls",
            "asked",
            "started_at",
            "finished_at",
        ]
        # Answers only: read-only fields carry no input limits, which drf-spectacular
        # would take from the database in use (PostgreSQL's integers are not SQLite's).
        read_only_fields = fields

    @extend_schema_field(DocumentRefSerializer)
    def get_document(self, item: JobDocument) -> dict:
        return {"id": item.document_id, "name": item.document.name}


class JobLogSerializer(serializers.ModelSerializer):
    document = serializers.SerializerMethodField()
    data = JsonObjectField(read_only=True)

    class Meta:
        model = ProcessingLog
        fields = ["created_at", "level", "event", "message", "document", "data"]
        read_only_fields = fields

    @extend_schema_field(DocumentRefSerializer(allow_null=True))
    def get_document(self, log: ProcessingLog) -> dict | None:
        return {"id": log.document_id, "name": log.document.name} if log.document_id else None


def _raise_api_error(exc: Exception):
    if isinstance(exc, jobs.JobConflict):
        raise Conflict(str(exc), code=exc.code, details=exc.details) from None
    if isinstance(exc, jobs.JobInputError):
        raise serializers.ValidationError(exc.errors) from None
    raise exc


@extend_schema_view(get=extend_schema(summary="A project's jobs, newest first"))
class ProjectJobListView(generics.ListAPIView):
    serializer_class = JobSerializer
    throttle_scope = "job"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        return jobs_for_project(project)

    @extend_schema(
        summary="Start a sample or full run of the current schema version",
        request=JobCreateSerializer,
        responses={
            201: JobSerializer,
            409: OpenApiResponse(
                description="No confirmed schema version, no ready documents to process, "
                "or the same run (kind and schema version) already active: `job_running`, "
                "with the active job's id in `details.job_id`"
            ),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id, can=access.MANAGE)
        body = JobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            job = jobs.job_create(
                project=project,
                user=request.user,
                kind=data["kind"],
                sample_size=data.get("sample_size"),
                document_ids=data.get("document_ids"),
                budget_usd=data.get("budget_usd"),
                reliability_override=data.get("reliability_override", ""),
                mode=data["mode"],
            )
        except (jobs.JobConflict, jobs.JobInputError) as exc:
            _raise_api_error(exc)
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailView(generics.RetrieveAPIView):
    serializer_class = JobSerializer

    @extend_schema(summary="A job with its progress")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> ProcessingJob:
        return job_get_for_user(self.request.user, self.kwargs["job_id"])


class JobActionView(APIView):
    """Base for POST actions on a job that answer the updated job."""

    def act(self, job: ProcessingJob, request: Request) -> ProcessingJob:
        raise NotImplementedError

    def post(self, request: Request, job_id: int) -> Response:
        job = job_get_for_user(request.user, job_id, can=access.MANAGE)
        try:
            job = self.act(job, request)
        except (jobs.JobConflict, jobs.JobInputError) as exc:
            _raise_api_error(exc)
        job.refresh_from_db()
        return Response(JobSerializer(job).data)


class JobCancelView(JobActionView):
    @extend_schema(summary="Cancel a job", request=None, responses=JobSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        return super().post(request, job_id)

    def act(self, job: ProcessingJob, request: Request) -> ProcessingJob:
        return jobs.job_cancel(job=job, user=request.user)


class JobRetryFailedView(JobActionView):
    @extend_schema(
        summary="Queue the failed documents again", request=None, responses=JobSerializer
    )
    def post(self, request: Request, job_id: int) -> Response:
        return super().post(request, job_id)

    def act(self, job: ProcessingJob, request: Request) -> ProcessingJob:
        return jobs.job_retry_failed(job=job, user=request.user)


class JobResumeView(JobActionView):
    @extend_schema(
        summary="Resume a job paused by its budget",
        request=ResumeSerializer,
        responses=JobSerializer,
    )
    def post(self, request: Request, job_id: int) -> Response:
        return super().post(request, job_id)

    def act(self, job: ProcessingJob, request: Request) -> ProcessingJob:
        body = ResumeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return jobs.job_resume(
            job=job, budget_usd=body.validated_data.get("budget_usd"), user=request.user
        )


@extend_schema_view(
    get=extend_schema(
        summary="The job's documents and their status",
        parameters=[OpenApiParameter("status", enum=JobDocument.Status.values)],
    )
)
class JobDocumentListView(generics.ListAPIView):
    serializer_class = JobItemSerializer

    def get_queryset(self):
        job = job_get_for_user(self.request.user, self.kwargs["job_id"])
        return job_items(job, status=self.request.query_params.get("status", ""))


@extend_schema_view(
    get=extend_schema(
        summary="The job's event log, newest first",
        parameters=[OpenApiParameter("level", enum=ProcessingLog.Level.values)],
    )
)
class JobLogListView(generics.ListAPIView):
    serializer_class = JobLogSerializer

    def get_queryset(self):
        job = job_get_for_user(self.request.user, self.kwargs["job_id"])
        return job_logs(job, level=self.request.query_params.get("level", ""))


class EstimateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProcessingJob.Kind.choices)
    documents = serializers.IntegerField()
    llm_calls = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost_usd = serializers.FloatField()
    model = serializers.CharField()
    prompt_tokens_per_call = serializers.IntegerField()
    basis = serializers.CharField(help_text="What the token counts rest on, in words.")
    mode = serializers.ChoiceField(choices=MODES, help_text="The price cost_usd is given at.")
    carried_values = serializers.IntegerField(
        help_text="Values the run reuses instead of asking: carried from the previous "
        "version, or already extracted for this one."
    )


class DraftEstimateView(APIView):
    @extend_schema(
        summary="Calls, tokens and cost of the next sample or full run of the draft",
        description="Only the values the run would ask for are counted: a value the "
        "version holds (or would carry from the current version on confirming) is not "
        "asked again.",
        parameters=[EstimateQuerySerializer],
        responses=EstimateSerializer,
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id)
        query = EstimateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not project.variables.exists():
            raise Conflict("Define at least one variable first.", code="empty_schema")
        estimate = draft_estimate(
            project=project,
            kind=query.validated_data["kind"],
            sample_size=query.validated_data.get("sample_size") or settings.PROCESSING_SAMPLE_SIZE,
            mode=query.validated_data["mode"],
        )
        return Response(estimate.as_dict())
