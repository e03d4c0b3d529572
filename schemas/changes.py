"""What a schema version changes for the model, variable by variable (step 3).

Each variable of a version is ``added``, ``removed``, ``changed`` (anything the model
sees of it differs: type, instructions, allowed values, label, required) or
``unchanged``, compared with the version it was confirmed from. A change to what every call sees
(the project's instructions, the shared rules of the prompt, the user message) makes
every variable ``changed``: the model would read each one in another context.

That shared part is the stored system prompt without its codebook section, as the
version's own variables give it; when the stored prompt does not end with that section
(the wording of the codebook changed in the code since), everything counts as changed,
which is the safe answer for what may be reused.
"""

from __future__ import annotations

from schemas.models import SchemaVersion
from schemas.prompts import codebook_section
from schemas.versions import SchemaState, schema_diff

KINDS = ("added", "removed", "changed", "unchanged")
# Fields of a variable the model never reads (the evidence checks do): not a change.
UNSEEN_BY_MODEL = frozenset({"synonyms"})


def shared_prompt(system_prompt: str, user_template: str, variables: list[dict]) -> tuple:
    """What every call of a version sees, whatever its variables."""
    tail = "\n\n" + codebook_section(variables)
    shared = system_prompt[: -len(tail)] if system_prompt.endswith(tail) else system_prompt
    return shared, user_template


def variable_changes(
    *, old: list[dict] | None, new: list[dict], old_shared: tuple | None, new_shared: tuple
) -> dict[str, list[str]]:
    """``{added, removed, changed, unchanged}``: lists of keys, in schema order (removed
    ones in the old schema's order). Without an ``old`` version everything is added."""
    if old is None:
        return {"added": [v["key"] for v in new], "removed": [], "changed": [], "unchanged": []}
    diff = schema_diff(old, new)
    everything = old_shared != new_shared
    kept = [v["key"] for v in new if v["key"] not in diff["added"]]
    seen = {
        key for key, change in diff["changed"].items() if set(change["fields"]) - UNSEEN_BY_MODEL
    }
    changed = set(kept) if everything else seen
    return {
        "added": [v["key"] for v in new if v["key"] in diff["added"]],
        "removed": [v["key"] for v in old if v["key"] in diff["removed"]],
        "changed": [key for key in kept if key in changed],
        "unchanged": [key for key in kept if key not in changed],
    }


def _shared_of(version: SchemaVersion) -> tuple:
    return shared_prompt(version.system_prompt, version.user_template, version.variables)


def previous_version(version: SchemaVersion) -> SchemaVersion | None:
    """The version ``version`` was confirmed from (the current one then, which is not
    the one numbered before it after a restore): what it is compared with, and where its
    unchanged values are carried from."""
    versions = SchemaVersion.objects.filter(project_id=version.project_id)
    if version.based_on is not None:
        return versions.filter(number=version.based_on).first()
    return versions.filter(number__lt=version.number).order_by("-number").first()


def version_changes(
    version: SchemaVersion, previous: SchemaVersion | None = None
) -> dict[str, list[str]]:
    """What ``version`` changes from the version it was confirmed from (``previous``,
    when the caller has already read it)."""
    if previous is None:
        previous = previous_version(version)
    return variable_changes(
        old=previous.variables if previous else None,
        new=version.variables,
        old_shared=_shared_of(previous) if previous else None,
        new_shared=_shared_of(version),
    )


def draft_changes(state: SchemaState) -> dict[str, list[str]] | None:
    """What confirming the draft would change from the current version (None without
    one: the first version adds everything)."""
    if state.current is None:
        return None
    bundle = state.bundle
    return variable_changes(
        old=state.current.variables,
        new=state.variables,
        old_shared=_shared_of(state.current),
        new_shared=shared_prompt(bundle.system, bundle.user_template, state.variables),
    )


__all__ = ["KINDS", "draft_changes", "previous_version", "version_changes"]
