"""The reliability gate before a full run (a project setting).

With ``Project.require_reliability`` on, a full run is refused (409
``reliability_not_met``, with the figures) until the latest completed coding round of
the current schema version shows every variable of the version with Krippendorff's
alpha, the model counted as one more coder, at or above the project's threshold (a
variable the round did not code, or whose alpha is undefined, is not met). The owner
may run anyway with a reason, which the job's log records with the figures. Processing asks
through ``processing.signals.full_run_requested``: it does not import this app.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from exports.rounds import round_latest_completed, round_reliability
from processing.jobs import JobConflict
from processing.signals import full_run_requested
from projects.models import Project
from schemas.models import SchemaVersion


def gate_figures(project: Project, version: SchemaVersion) -> dict[str, Any]:
    """``{met, threshold, round, variables: [{key, alpha_with_model, met}]}`` from the
    latest completed round of ``version`` (``round`` None without one: not met)."""
    threshold = float(project.reliability_threshold)
    latest = round_latest_completed(version.pk)
    if latest is None:
        return {"met": False, "threshold": threshold, "round": None, "variables": []}
    measured = {row["key"]: row["alpha_with_model"] for row in round_reliability(latest, draws=0)}
    rows = [  # every variable of the version: one the round did not code is not met
        {
            "key": key,
            "alpha_with_model": measured.get(key),
            "met": measured.get(key) is not None and measured[key] >= threshold,
        }
        for key in version.variable_keys
    ]
    return {
        "met": bool(rows) and all(row["met"] for row in rows),
        "threshold": threshold,
        "round": latest.pk,
        "variables": rows,
    }


def _refusal(figures: dict[str, Any]) -> str:
    if figures["round"] is None:
        return (
            "This project requires reliability before the full run: complete a coding "
            "round of the current schema version first (or run anyway with a reason)."
        )
    below = [row["key"] for row in figures["variables"] if not row["met"]]
    return (
        f"Reliability is below {figures['threshold']:.2f} (Krippendorff's alpha with the "
        f"model, round {figures['round']}) for: {', '.join(below[:20])}. Improve those "
        "variables and code a new round, or run anyway with a reason."
    )


@receiver(full_run_requested, dispatch_uid="exports.reliability_gate")
def reliability_gate(
    sender, *, project: Project, version: SchemaVersion, user, override_reason: str, **kwargs
) -> dict[str, Any] | None:
    """Refuse the full run below the threshold; with the owner's reason, let it through
    and say so (the job logs the reason and the figures once it exists)."""
    if not project.require_reliability:
        return None
    figures = gate_figures(project, version)
    if figures["met"]:
        return None
    if override_reason:
        return {
            "event": "reliability_overridden",
            "message": f"Full run started below the reliability threshold: {override_reason}",
            "data": {"reason": override_reason, **figures},
        }
    raise JobConflict(_refusal(figures), code="reliability_not_met", details=figures)
