"""Project members: the owner brings other users in as coders or viewers, and takes
them out again (``access.py`` says what each role may do)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from projects.models import Project, ProjectMember


class MemberError(Exception):
    """A member cannot be added: ``code`` ``user_not_found`` (HTTP 404) or
    ``already_member`` (HTTP 409)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def member_add(*, project: Project, username: str, role: str, added_by) -> ProjectMember:
    """Add an existing user by username. Usernames match exactly, as at log-in, so the
    owner adds the person they mean."""
    if role not in ProjectMember.Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None or not user.is_active:
        raise MemberError(f"No user is called “{username.strip()}”.", code="user_not_found")
    if user.pk == project.owner_id:
        raise MemberError(f"{user.get_username()} owns this project.", code="already_member")
    try:
        with transaction.atomic():
            return ProjectMember.objects.create(
                project=project, user=user, role=role, added_by=added_by
            )
    except IntegrityError:  # the same user, added twice (a double click, two tabs)
        raise MemberError(
            f"{user.get_username()} is already a member of this project.", code="already_member"
        ) from None


def member_remove(*, member: ProjectMember) -> None:
    """Take a member out: they lose access at once; what they coded stays, attributed."""
    member.delete()


def members_of(project: Project):
    return ProjectMember.objects.filter(project=project).select_related("user").order_by("id")
