"""A job's budget, enforced before money is spent rather than after.

Every attempt of a budgeted job's calls is admitted under the job row's lock
(``JobBudget.reserve``): its worst-case cost (``extractor.llm.admission``) is added to
``reserved_usd`` only if ``cost_usd + reserved_usd + amount`` stays within
``budget_usd`` and the job is running (compared in Decimal, not in SQL). When the
attempt's usage is in, ``settle`` releases the reservation and adds the billed cost to
``cost_usd`` at once. The row's lock makes this atomic across threads, processes and
machines, so the recorded spend can never pass the budget (unless a provider bills
more than the bound, which is recorded as it is and pauses the job).

A refusal pauses the job only when the attempt could not fit even if every call in
flight cost nothing (``cost_usd + amount > budget_usd``): calls in flight can only add
to ``cost_usd``, so it never will. Otherwise the room is held by calls in flight that
give most of it back as they settle, and the thread waits and tries again; pausing
there would stop a job with many threads at a fraction of its budget. An attempt that
timed out or lost its connection brought no usage back: it settles at zero, as the
ledger records it.

Each reservation is also written on the work item that made it (``JobDocument``
``reserved_usd``, in the same transaction), and the costs settled for the item since
it was claimed in ``charged_usd``. That ties reservations to something with a lease:

* the item's outcome (done, failed, given back, released) releases whatever the item
  still holds and adds its spend from the ledger minus what was already charged, so
  ``cost_usd`` ends equal to the sum of the job's ``LLMCall`` rows;
* a worker killed with reservations outstanding: when its items' leases run out, the
  sweeper takes them back and releases their reservations (``item_reservation_release``);
  until then other threads wait rather than pause, so nothing blocks for ever, and a
  resumed job goes on the same way;
* a slow runner that lost its lease can neither reserve (the item is no longer held)
  nor release twice: its late settle only adds what the provider billed;
* whatever else leaves a reservation behind (a document deleted while its call was on
  the wire takes its item, and the item's record of the reservation, with it), the
  sweeper sets every budgeted job's ``reserved_usd`` back to what its items hold
  (``job_reservations_reconcile``).

Lock order is always the item row, then the job row.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet, Sum

from processing import lifecycle
from processing.lifecycle import job_log
from processing.models import JobDocument, ProcessingJob, ProcessingLog, ProviderBatch

logger = logging.getLogger(__name__)
Status = ProcessingJob.Status

_POLL_FIRST, _POLL_MAX = 0.05, 0.5  # seconds between looks while calls in flight settle


def usd(amount: Decimal) -> str:
    """Money for a log line: cents from a dollar up, every stored digit below."""
    return f"${amount:,.2f}" if abs(amount) >= 1 else f"${amount:.6f}"


def job_pause_for_budget(*, job_id: int, message: str, data: dict | None = None) -> bool:
    """running -> paused (``lifecycle.job_pause``), logged once: only the caller whose
    UPDATE won logs."""
    paused = lifecycle.job_pause(job_id=job_id)
    if paused:
        job_log(
            ProcessingJob.objects.get(pk=job_id),
            "job_paused",
            message,
            level=ProcessingLog.Level.WARNING,
            data=data,
        )
    return paused


def job_pause_if_spent(*, job_id: int) -> None:
    """Pause a job whose spend has reached its budget. Admissions keep it from going
    past; this stops a job that landed exactly on it without waiting for a refusal."""
    reached = (
        ProcessingJob.objects.filter(
            pk=job_id,
            status=Status.RUNNING,
            budget_usd__isnull=False,
            cost_usd__gte=F("budget_usd"),
        )
        .values_list("budget_usd", "cost_usd")
        .first()
    )
    if reached:
        budget, cost = reached
        job_pause_for_budget(
            job_id=job_id,
            message=f"Budget of {usd(budget)} reached (spent {usd(cost)}); resume with a "
            "higher budget to go on.",
        )


class JobBudget:
    """The ``Admission`` of one claimed work item (``extractor.llm.admission``).

    ``held`` returns the item's row while this runner still holds it. ``reserved`` and
    ``charged`` mirror the item's columns (only this thread changes them while it holds
    the item), so the item's outcome can settle them without reading the row again.
    """

    def __init__(
        self,
        *,
        job_id: int,
        held: Callable[[], QuerySet[JobDocument]],
        deadline: float | None = None,
    ):
        self.job_id = job_id
        self.held = held
        # When the runner task's time is up (time.monotonic()): no wait goes past it.
        self.deadline = deadline
        self.reserved = Decimal(0)
        self.charged = Decimal(0)

    def reserve(self, amount: Decimal) -> bool:
        """Admit an attempt that may cost ``amount``, waiting while calls in flight hold
        the room it needs. False (not admitted) when the job stopped, the item was taken
        back, the call cannot fit even once those calls settle (the job is paused), or
        the room stayed taken until the runner task's time is up (or a task's length):
        a thread waits no longer, so its task ends within the task time limit."""
        give_up = time.monotonic() + settings.PROCESSING_TASK_SECONDS
        if self.deadline is not None:
            give_up = min(give_up, self.deadline)
        pause = _POLL_FIRST
        while True:
            admitted = self._try_reserve(amount)
            if admitted is not None:
                return admitted
            job = (
                ProcessingJob.objects.filter(pk=self.job_id)
                .values("status", "budget_usd", "cost_usd")
                .first()
            )
            if job is None or job["status"] != Status.RUNNING:
                return False
            budget = job["budget_usd"]
            if budget is not None and job["cost_usd"] + amount > budget:
                # Calls in flight can only add to cost_usd: this one will never fit.
                self._pause(amount, cost=job["cost_usd"], budget=budget)
                return False
            if time.monotonic() > give_up:
                logger.warning("job %s: budget room held too long; giving up", self.job_id)
                return False
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, _POLL_MAX)

    def _try_reserve(self, amount: Decimal) -> bool | None:
        """True: admitted. False: the item is no longer ours. None: no room now (or
        the job is not running).

        The job row is locked and its figures compared here, in Decimal: SQLite keeps
        decimals as floats, where 0.1 + 0.2 > 0.3, so a comparison in SQL could refuse
        what the same figures admit in Python."""
        with transaction.atomic():
            if not self.held().update(reserved_usd=F("reserved_usd") + amount):
                return False
            job = (
                ProcessingJob.objects.select_for_update()
                .filter(pk=self.job_id)
                .values("status", "budget_usd", "cost_usd", "reserved_usd")
                .first()
            )
            fits = job is not None and job["status"] == Status.RUNNING
            if fits and job["budget_usd"] is not None:
                fits = job["cost_usd"] + job["reserved_usd"] + amount <= job["budget_usd"]
            if not fits:
                transaction.set_rollback(True)
                return None
            ProcessingJob.objects.filter(pk=self.job_id).update(
                reserved_usd=F("reserved_usd") + amount
            )
        self.reserved += amount
        return True

    def settle(self, reserved: Decimal, actual: Decimal) -> None:
        """Release ``reserved`` and count ``actual`` as spent, on the job and the item.

        If the item was taken back meanwhile, the sweeper already released its
        reservations: only the spend is added (the money was spent all the same)."""
        with transaction.atomic():
            held = self.held().update(
                reserved_usd=F("reserved_usd") - reserved, charged_usd=F("charged_usd") + actual
            )
            changes = {"cost_usd": F("cost_usd") + actual}
            if held:
                changes["reserved_usd"] = F("reserved_usd") - reserved
            ProcessingJob.objects.filter(pk=self.job_id).update(**changes)
        if held:
            self.reserved -= reserved
            self.charged += actual
        if actual > reserved:
            logger.error(
                "job %s: provider billed %s for an attempt reserved at %s",
                self.job_id,
                actual,
                reserved,
            )
            job_pause_for_budget(
                job_id=self.job_id,
                message=(
                    f"Paused: the provider billed {usd(actual)} for a call reserved at "
                    f"{usd(reserved)}, more than its worst case. The cost is recorded as "
                    "billed; check the model's prices before resuming."
                ),
                data={"reserved_usd": str(reserved), "billed_usd": str(actual)},
            )

    def _pause(self, amount: Decimal, *, cost: Decimal, budget: Decimal) -> None:
        job_pause_for_budget(
            job_id=self.job_id,
            message=(
                f"Paused before the next call: it may cost up to {usd(amount)}, and with "
                f"{usd(cost)} spent that would exceed the budget of {usd(budget)}. Resume "
                "with a higher budget to go on."
            ),
            data={"cost_usd": str(cost), "next_call_usd": str(amount), "budget_usd": str(budget)},
        )


def item_reservation_release(*, item_id: int, job_id: int) -> None:
    """Give the job back what a taken-back item still held. The sweeper calls it in the
    transaction whose UPDATE took the item: that UPDATE locked the row, and a runner
    can only change the amount while it holds the item, so the amount read is final.
    The costs charged for the item stay in the job's cost: they were billed."""
    reserved = JobDocument.objects.filter(pk=item_id).values_list("reserved_usd", flat=True).get()
    JobDocument.objects.filter(pk=item_id).update(reserved_usd=0, charged_usd=0)
    if reserved:
        ProcessingJob.objects.filter(pk=job_id).update(reserved_usd=F("reserved_usd") - reserved)


def job_reservations_reconcile() -> int:
    """Set each running or paused budgeted job's ``reserved_usd`` to what its items
    (and its batches not collected yet) hold; returns how many jobs were corrected.

    The job row is locked first, then the items' sum is read: a reservation or settle
    still in progress (item row, then job row) either committed before the read, and
    is in both figures, or waits for this lock and then adds its change to the figure
    written here. So the correction never undoes a reservation in flight.
    """
    corrected = 0
    jobs = ProcessingJob.objects.filter(
        status__in=[Status.RUNNING, Status.PAUSED], budget_usd__isnull=False
    ).values_list("pk", flat=True)
    for job_id in jobs:
        with transaction.atomic():
            held = (
                ProcessingJob.objects.select_for_update()
                .filter(pk=job_id)
                .values_list("reserved_usd", flat=True)
                .first()
            )
            if held is None:
                continue
            items = JobDocument.objects.filter(job_id=job_id).aggregate(total=Sum("reserved_usd"))
            # A batch job's submitted batches hold their estimates until collected.
            batches = ProviderBatch.objects.filter(
                job_id=job_id, collected_at__isnull=True
            ).aggregate(total=Sum("reserved_usd"))
            truth = (items["total"] or Decimal(0)) + (batches["total"] or Decimal(0))
            if held == truth:
                continue
            ProcessingJob.objects.filter(pk=job_id).update(reserved_usd=truth)
        corrected += 1
        logger.warning(
            "job %s: reserved %s held against the budget, its items hold %s; corrected",
            job_id,
            held,
            truth,
        )
    return corrected
