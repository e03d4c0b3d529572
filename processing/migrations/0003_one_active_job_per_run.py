"""At most one active job per (project, schema version, kind), enforced by a partial
unique index. Before it can be created, runs started twice by the race it closes are
resolved: the job furthest along goes on (running, then queued, paused, cancelling;
the newest among equals), the others are cancelled (their finished documents keep
their values; their pending items are cancelled)."""

from django.db import migrations, models
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone

HOLDING = ["queued", "running", "cancelling", "paused"]
# Which job of a doubled run goes on: the one furthest along.
PRECEDENCE = ["running", "queued", "paused", "cancelling"]


def cancel_duplicate_runs(apps, schema_editor):
    ProcessingJob = apps.get_model("processing", "ProcessingJob")
    JobDocument = apps.get_model("processing", "JobDocument")
    ProcessingLog = apps.get_model("processing", "ProcessingLog")
    runs = (
        ProcessingJob.objects.filter(status__in=HOLDING)
        .values("project_id", "schema_version_id", "kind")
        .annotate(jobs=Count("id"))
        .filter(jobs__gt=1)
    )
    for run in runs:
        rank = Case(
            *(When(status=status, then=Value(n)) for n, status in enumerate(PRECEDENCE)),
            output_field=IntegerField(),
        )
        jobs = (
            ProcessingJob.objects.filter(status__in=HOLDING, **run_fields(run))
            .annotate(rank=rank)
            .order_by("rank", "-created_at", "-id")
        )
        for job in list(jobs)[1:]:
            JobDocument.objects.filter(job=job, status__in=["pending", "running"]).update(
                status="cancelled", lease_expires_at=None
            )
            ProcessingJob.objects.filter(pk=job.pk).update(
                status="cancelled", finished_at=timezone.now()
            )
            ProcessingLog.objects.create(
                project_id=job.project_id,
                job=job,
                level="warning",
                event="job_cancelled",
                message="Cancelled: another job of the same run was active at the same time.",
                data={},
            )


def run_fields(run: dict) -> dict:
    return {key: run[key] for key in ("project_id", "schema_version_id", "kind")}


class Migration(migrations.Migration):
    dependencies = [
        ("processing", "0002_extraction_reviewed_index"),
        ("projects", "0001_initial"),
        ("schemas", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(cancel_duplicate_runs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="processingjob",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", HOLDING)),
                fields=("project", "schema_version", "kind"),
                name="one_active_job_per_run",
                violation_error_message="This run is already going on.",
            ),
        ),
    ]
