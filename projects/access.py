"""Who may do what in a project: the owner, and the members the owner added.

Every request reaches a project through ``projects.selectors.project_get_for_user``
(or an object's ``for_user`` queryset, scoped by the same projects), which answers 404
to anyone who is neither the owner nor a member, so nothing leaks; a member whose role
does not allow the action gets 403 ``role_forbidden``, which says why.

=========  ====  ====  ======
ability    read  code  manage
=========  ====  ====  ======
owner      yes   yes   yes
coder      yes   yes   no
viewer     yes   no    no
=========  ====  ====  ======

``read``: every page and endpoint that shows the project, and exports of its data.
``code``: reviewing values (corrections, verifications, blind entries, the review queue)
and coding the items of a round. ``manage``: everything else that changes the project
(documents, variables, schema versions, runs, settings, members, rounds, deletion).
"""

from __future__ import annotations

from extractor.api import Forbidden

READ, CODE, MANAGE = "read", "code", "manage"
OWNER = "owner"

# What a user is in a project, as the API names it (``role``).
PROJECT_ROLES = (OWNER, "coder", "viewer")

ABILITIES = {
    OWNER: frozenset({READ, CODE, MANAGE}),
    "coder": frozenset({READ, CODE}),
    "viewer": frozenset({READ}),
}

_NEEDED = {
    CODE: "code or review values",
    MANAGE: "change the project (only its owner can)",
}


class RoleForbidden(Forbidden):
    """A member's role does not allow the action (HTTP 403 ``role_forbidden``)."""

    def __init__(self, role: str, can: str):
        super().__init__(
            f"Your role in this project ({role}) does not allow you to {_NEEDED[can]}.",
            code="role_forbidden",
        )


def allows(role: str | None, can: str) -> bool:
    return can in ABILITIES.get(role or "", frozenset())


def require(role: str, can: str) -> None:
    """Raise ``RoleForbidden`` unless ``role`` may ``can``."""
    if can not in (READ, CODE, MANAGE):
        raise ValueError(f"Unknown ability {can!r}.")
    if not allows(role, can):
        raise RoleForbidden(role, can)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def for_method(method: str, *, unsafe: str = MANAGE) -> str:
    """The ability a request needs by its method: reading for safe ones, ``unsafe``
    (managing, unless the endpoint says otherwise) for the rest."""
    return READ if method in SAFE_METHODS else unsafe
