"""What processing asks the apps after it, without importing them."""

from django.dispatch import Signal

# Sent before a full run is created, with ``project``, ``version``, ``user`` and
# ``override_reason`` (the owner's recorded reason to pass a gate, or ""). A receiver
# refuses the run by raising ``processing.jobs.JobConflict`` (exports' reliability gate).
full_run_requested = Signal()
