"""What schemas tells the apps after it: they act on a new version without schemas
importing them (processing carries the values of unchanged variables forward)."""

from django.dispatch import Signal

# Sent inside the confirming transaction with ``version`` (the new SchemaVersion) and
# ``previous`` (the version that was current, or None).
version_confirmed = Signal()
