"""Blind coding rounds keep a coder away from the model's answers of their version.

While a user still has items to code in an open blind round, the values of that
round's schema version (the results table and API, a value's page and API, the review
queue, exports, the comparison of versions) stay closed to them: reading the model's
answer first is what blind coding rules out. The figures of the round itself
(reliability) stay open; its coders' values stay hidden too (``rounds.values_hidden_from``).
Everything opens again once they have coded their items or the round is completed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exports.models import CodingItem, CodingRound
from extractor.api import Conflict

MESSAGE = (
    "You are coding blind round “{round}” of schema version {version}: its values (the "
    "model's answers) open when you have coded your items."
)


def coding_blind(user, version_id: int | None) -> CodingRound | None:
    """The open blind round of this version in which ``user`` still has items to code."""
    if version_id is None or not getattr(user, "is_authenticated", False):
        return None
    item = (
        CodingItem.objects.filter(
            coder=user,
            coded=False,
            round__schema_version_id=version_id,
            round__blind=True,
            round__status=CodingRound.Status.OPEN,
        )
        .select_related("round__schema_version")
        .first()
    )
    return item.round if item else None


def _message(coding_round: CodingRound) -> str:
    return MESSAGE.format(round=coding_round, version=coding_round.schema_version.number)


def refuse_in_api(user, *version_ids: int | None) -> None:
    """409 ``round_blind`` in the API while ``user`` codes a blind round of a version."""
    for version_id in version_ids:
        coding_round = coding_blind(user, version_id)
        if coding_round is not None:
            raise Conflict(_message(coding_round), code="round_blind")


def notice(request: HttpRequest, project, coding_round: CodingRound) -> HttpResponse:
    """The page said instead of the values: why, and the way to the round."""
    from projects.views import project_context

    context = project_context(project, step=5) | {
        "round": coding_round,
        "message": _message(coding_round),
    }
    return render(request, "wizard/step5/blind_notice.html", context, status=409)
