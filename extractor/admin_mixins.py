"""Admin behaviour shared by the apps."""

from __future__ import annotations


class DeletesWhatHangsOnIt:
    """For admins of objects that own others (a project its documents, versions and
    jobs; a document its values; a job its work items). Deleting the owner deletes
    them, whatever their own admins say about deleting one alone: values, versions and
    work items cannot be deleted by themselves, but they go with what they belong to.
    The owner's own delete permission still applies, object by object."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        own = self.model._meta.verbose_name
        return deleted, counts, {name for name in perms_needed if name == own}, protected
