"""Workers sharing a study: who is running what, the exact trial budget, and threads.

Every trial records the process that runs it (host and pid). From the trials alone any
worker can then tell (docs/parallel.md):

- how many trials are live: a RUNNING trial counts unless its worker is on this host
  and its process is gone, or its heartbeat stopped (the storage's own, or, on the
  journal, the ``heartbeat`` attribute its worker refreshes);
- whether a trial it has just asked for is *surplus*: when the trials numbered before
  it, completed or live, already make ``search.n_trials``, it ends PRUNED as
  "surplus" and counts for nothing, so the study holds exactly ``search.n_trials``
  completed trials however many workers race for the last ones;
- how many workers share this host, so that each takes its share of the cores
  (torch's default is every core per process: two workers on two cores then ran at
  0.41x the trial rate of one).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch.trials import Key

__all__ = [
    "PRUNED_EARLY",
    "SURPLUS",
    "Census",
    "Worker",
    "available_cores",
    "counts_toward_budget",
    "share_threads",
    "take_census",
]


@dataclass(frozen=True)
class Worker:
    """A process running trials: its host name and process id."""

    host: str
    pid: int

    @classmethod
    def this(cls) -> Worker:
        """This process."""
        return cls(socket.gethostname(), os.getpid())

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "pid": self.pid}

    @classmethod
    def from_record(cls, value: object) -> Worker | None:
        """The worker a trial's record names; ``None`` when absent or malformed."""
        if not isinstance(value, Mapping):
            return None
        host, pid = value.get("host"), value.get("pid")
        if not isinstance(host, str) or isinstance(pid, bool) or not isinstance(pid, int):
            return None
        return cls(host, pid)

    def is_gone(self) -> bool:
        """Whether this worker certainly stopped: it ran on this host and its process no
        longer exists (on another host nothing is certain)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # another user's live process
            return False
        return False


@dataclass(frozen=True)
class Census:
    """The study as the budget sees it.

    Attributes:
        completed: COMPLETE trials (what ``search.n_trials`` counts).
        live: RUNNING trials whose worker may still be at work.
        dead: RUNNING trials whose worker's process is gone (on this host).
        neighbours: other workers on this host whose process is alive and that ran
            one of the study's last ``RECENT`` trials (running or finished: a worker
            between two short trials is still a neighbour).
        waiting: WAITING trials (enqueued, or a dead worker's retry): each may become
            live before the next ask.
        next_number: one more than the highest trial number seen.
    """

    completed: int
    live: int
    dead: tuple[FrozenTrial, ...]
    neighbours: int
    waiting: int = 0
    next_number: int = 0

    def may_fill(self, number: int, n_trials: int) -> bool:
        """Whether the trials numbered below ``number`` (a trial asked after this
        census) can fill ``n_trials``: at most the counted and live ones, the waiting
        ones, and one per trial created since. When not, it cannot be surplus, and the
        study need not be read again to know."""
        created_since = max(0, number - self.next_number)
        return self.completed + self.live + self.waiting + created_since >= n_trials


def take_census(
    trials: Iterable[FrozenTrial],
    me: Worker,
    *,
    before: int | None = None,
    count_pruned: bool = False,
    grace_period: float | None = None,
    now: float | None = None,
) -> Census:
    """Counts ``trials`` (those numbered below ``before`` only, when given).

    Args:
        trials: the study's trials.
        me: this worker, which is not its own neighbour.
        before: count only trials numbered below this.
        count_pruned: trials the pruner stopped count toward the budget too.
        grace_period: on a storage without its own heartbeat, a running trial whose
            ``heartbeat`` attribute is older than this many seconds is dead, whichever
            host ran it (hosts' clocks are taken to agree within it).
        now: the time to judge heartbeats by (``time.time()``).
    """
    now = time.time() if now is None else now
    completed = live = waiting = next_number = 0
    dead: list[FrozenTrial] = []
    last_trial_of: dict[Worker, int] = {}
    for trial in trials:
        if before is not None and trial.number >= before:
            continue
        next_number = max(next_number, trial.number + 1)
        worker = Worker.from_record(trial.user_attrs.get(Key.WORKER.value))
        if worker is not None and worker != me and worker.host == me.host:
            last_trial_of[worker] = max(trial.number, last_trial_of.get(worker, -1))
        if trial.state is TrialState.WAITING:
            waiting += 1
        elif counts_toward_budget(trial, count_pruned):
            completed += 1
        elif trial.state is TrialState.RUNNING:
            if (worker is not None and worker.is_gone()) or _silent(trial, grace_period, now):
                dead.append(trial)
                continue
            live += 1
    recent = next_number - RECENT
    neighbours = sum(
        1 for worker, last in last_trial_of.items() if last >= recent and not worker.is_gone()
    )
    return Census(completed, live, tuple(dead), neighbours, waiting, next_number)


def _silent(trial: FrozenTrial, grace_period: float | None, now: float) -> bool:
    """Whether ``trial``'s own heartbeat attribute stopped more than ``grace_period``
    seconds ago (never, without one)."""
    beat = trial.user_attrs.get(Key.HEARTBEAT.value)
    if grace_period is None or isinstance(beat, bool) or not isinstance(beat, (int, float)):
        return False
    return now - float(beat) > grace_period


RECENT = 64
"""How many of the study's latest trials a neighbour must appear among: workers of
earlier runs on this host are not counted even where their process id was reused."""


SURPLUS = "surplus"
"""How the reason of a trial that was not needed begins (see the module)."""
PRUNED_EARLY = "pruned"
"""How the reason of a trial the pruner stopped begins."""


def counts_toward_budget(trial: FrozenTrial, count_pruned: bool = False) -> bool:
    """Whether ``trial`` is one of the ``search.n_trials``: completed, or stopped by the
    pruner when those count (never a surplus trial or one rejected for its size)."""
    if trial.state is TrialState.COMPLETE:
        return True
    if not count_pruned or trial.state is not TrialState.PRUNED:
        return False
    reason = trial.user_attrs.get(Key.REASON.value)
    return isinstance(reason, str) and reason.startswith(PRUNED_EARLY)


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def share_threads(workers_on_host: int, threads: int | None = None) -> int:
    """Sets torch's intra-op threads to ``threads``, or to this host's cores divided
    among ``workers_on_host`` workers (at least one each); returns the number set."""
    count = threads if threads is not None else max(1, available_cores() // workers_on_host)
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count
