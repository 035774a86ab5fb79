"""What the trial database costs per trial: SQLite, the journal file, and PostgreSQL.

This script runs the real driver, ``torchsearch.driver.run_search``, in this process, for
N completed trials of a fresh study per storage, and times every call the driver makes
to the storage, whatever the driver's call sequence is at the time (the census of the
study before and after each ask, the worker record, the heartbeat, the record writes,
the exploitation recipe's reads, the final report). The search is the default one (the
digits data, the dnn space with its ensembles and distillation, coordinate descent)
with the tiniest training (one step, towers of depth one, on the CPU), so the storage
shows up against the rest of a trial:

    storage=sqlite|journal|postgresql search.n_trials=N trainer.max_steps=1
    trainer.max_epochs=null trainer.accelerator=cpu space.maximum_depth=1

How the calls are timed: ``torchsearch.driver._run.open_storage`` is replaced by one that
opens the storage as the driver does (its engine options, SQLite in WAL mode, the
heartbeat settings), takes the object the study will use (``optuna.storages.get_storage``:
for SQLite and PostgreSQL Optuna's caching layer over the database, as
``optuna.create_study`` would wrap it) and sets a timing wrapper, as an instance
attribute, over each of its storage methods (the public ones of
``optuna.storages.BaseStorage`` and the heartbeat's, ``_get_stale_trial_ids`` being what
``fail_stale_trials`` asks): the class and its ``isinstance`` checks are unchanged. A
call made inside another timed call (the caching layer's ``get_best_trial`` reads
``get_trial``) counts in the outer one only. Calls from the heartbeat's thread are
counted apart: they do not hold up the trial. ``open_artifact_store`` is wrapped the
same way, timing the checkpoint store's ``write`` (a trial's weights), ``open_reader``
(members', teachers' and the report's weights; opening only, ``torch.load`` reads) and
``remove``; the artifact's entry in the trial is a storage call.

Printed, as markdown tables: per storage, the milliseconds and calls per trial on the
driver's thread (all its calls, from opening the study to the report, over all the
trials the run made: the completed ones and any failed, pruned or surplus), the
end-to-end wall time of ``run_search`` per trial and the fraction of it the storage
takes, the heartbeat thread's and the checkpoints' milliseconds per trial; then the
methods that take the most time. Reads grow with the study, so the figures depend on N.
Each storage runs ``--repeats`` times, each on a fresh study in a fresh folder, after a
short run that takes the first uses (imports, SQLAlchemy's setup, the data, the export);
the first table gives each figure's median over the runs, the second the run with the
median storage time.

    python bench/storage.py [--quick] [--trials N] [--repeats R] [--postgresql URL]
        [--storages sqlite journal postgresql] [--output BENCHMARKS.md]

``--output`` gets (or has replaced) its section ``## Storage bookkeeping``.

PostgreSQL is measured when ``--postgresql`` or ``TORCHSEARCH_TEST_POSTGRESQL_URL``
gives a server (``.ci/postgresql`` starts a local one and prints its URL; needs
``pip install ".[postgresql]"``); its studies are named ``bench-<uuid>`` and deleted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import shlex
import statistics
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import optuna
from hydra import compose
from hydra import initialize_config_module
from omegaconf import DictConfig
from sections import replace_section

from torchsearch._secrets import redact
from torchsearch.driver import _run
from torchsearch.driver import run_search

URL_VARIABLE = "TORCHSEARCH_TEST_POSTGRESQL_URL"
SECTION = "Storage bookkeeping"
TINY = (
    "trainer.max_steps=1",
    "trainer.max_epochs=null",
    "trainer.accelerator=cpu",
    "space.maximum_depth=1",
)
# What fail_stale_trials and the heartbeat thread call (optuna's BaseHeartbeat).
HEARTBEAT_METHODS = (
    "record_heartbeat",
    "_get_stale_trial_ids",
    "get_heartbeat_interval",
    "get_heartbeat_stale_trial_callback",
)
STORAGE_METHODS = (
    tuple(
        name
        for name in dir(optuna.storages.BaseStorage)
        if not name.startswith("_") and callable(getattr(optuna.storages.BaseStorage, name))
    )
    + HEARTBEAT_METHODS
)
ARTIFACT_METHODS = ("write", "open_reader", "remove")
TOP_METHODS = 10
WARM_UP_TRIALS = 2


class Tally:
    """Seconds and calls per method over a run, from any thread.

    Calls from the thread that created it (the driver's) are counted by method; calls
    from any other thread (the heartbeat's) apart, in ``thread_seconds`` and
    ``thread_calls``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._driver_thread = threading.get_ident()
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.thread_seconds = 0.0
        self.thread_calls = 0

    def add(self, method: str, seconds: float) -> None:
        with self._lock:
            if threading.get_ident() == self._driver_thread:
                self.seconds[method] += seconds
                self.calls[method] += 1
            else:
                self.thread_seconds += seconds
                self.thread_calls += 1

    def wrap(self, target: Any, names: tuple[str, ...]) -> Any:
        """Times ``target``'s methods ``names`` (those it has) with instance attributes;
        a call inside another timed call of ``target`` counts in the outer one only."""
        inside = threading.local()
        for name in names:
            method = getattr(target, name, None)
            if callable(method):
                setattr(target, name, self._timed(name, method, inside))
        return target

    def _timed(
        self, name: str, method: Callable[..., Any], inside: threading.local
    ) -> Callable[..., Any]:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if getattr(inside, "active", False):
                return method(*args, **kwargs)
            inside.active = True
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)
                inside.active = False

        return timed


@dataclass(frozen=True)
class Run:
    """One search's figures.

    Args:
        trials: every trial the run made (completed, failed, pruned, surplus).
        completed: its completed trials.
        wall_s: ``run_search``'s wall time.
        report_s: the part of it the final report took (leaderboard, test, export).
        storage: the storage calls.
        checkpoints: the artifact store's calls.
    """

    trials: int
    completed: int
    wall_s: float
    report_s: float
    storage: Tally
    checkpoints: Tally

    @property
    def storage_s(self) -> float:
        """The storage calls' seconds on the driver's thread."""
        return sum(self.storage.seconds.values())

    def per_trial_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.trials


class Probe:
    """What ``instrumented`` gathers over one run."""

    def __init__(self) -> None:
        self.storage = Tally()
        self.checkpoints = Tally()
        self.databases: list[optuna.storages.BaseStorage] = []  # as open_storage made them
        self.report_s = 0.0


def compose_config(storage: str, n: int, study: str, url: str | None) -> DictConfig:
    """The run's config, as the command line would compose it."""
    overrides = [f"storage={storage}", f"storage.study={study}", f"search.n_trials={n}", *TINY]
    with initialize_config_module("torchsearch.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    if url is not None:
        cfg.storage.url = url  # set here, not as an override: no quoting of the URL
    return cfg


@contextlib.contextmanager
def instrumented() -> Iterator[Probe]:
    """The driver with its storage's and checkpoint store's calls timed, and its report."""
    probe = Probe()
    real_open_storage = _run.open_storage
    real_open_artifact_store = _run.open_artifact_store
    real_report_best = _run.report_best

    def open_storage(*args: Any, **kwargs: Any) -> optuna.storages.BaseStorage:
        database = real_open_storage(*args, **kwargs)
        probe.databases.append(database)
        # The object the study will use: create_study wraps an RDBStorage in Optuna's
        # cache as this does, and leaves the result (or a journal) as it is.
        return probe.storage.wrap(optuna.storages.get_storage(database), STORAGE_METHODS)

    def open_artifact_store(*args: Any, **kwargs: Any) -> Any:
        return probe.checkpoints.wrap(real_open_artifact_store(*args, **kwargs), ARTIFACT_METHODS)

    def report_best(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return real_report_best(*args, **kwargs)
        finally:
            probe.report_s += time.perf_counter() - start

    with (
        mock.patch.object(_run, "open_storage", open_storage),
        mock.patch.object(_run, "open_artifact_store", open_artifact_store),
        mock.patch.object(_run, "report_best", report_best),
    ):
        yield probe


def run_once(storage: str, n: int, url: str | None) -> Run:
    """One search of ``n`` trials on a fresh study of ``storage`` in a fresh folder."""
    study = f"bench-{uuid.uuid4()}"
    cfg = compose_config(storage, n, study, url)
    output = io.StringIO()  # the progress bar and the leaderboard
    with tempfile.TemporaryDirectory() as folder, instrumented() as probe:
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                start = time.perf_counter()
                run_search(cfg, Path(folder))
                wall = time.perf_counter() - start
            trials = optuna.load_study(study_name=study, storage=probe.databases[0]).trials
        except BaseException:
            print(output.getvalue()[-3000:], file=sys.stderr)
            raise
        finally:
            for database in probe.databases:
                if url is not None:
                    with contextlib.suppress(KeyError):
                        optuna.delete_study(study_name=study, storage=database)
                engine = getattr(database, "engine", None)
                if engine is not None:
                    engine.dispose()
    completed = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    return Run(len(trials), completed, wall, probe.report_s, probe.storage, probe.checkpoints)


def measure(storage: str, n: int, repeats: int, url: str | None) -> list[Run]:
    """``repeats`` runs, each of ``n`` trials on a fresh study, after a short one that
    takes the first uses (imports, SQLAlchemy's setup, the data, the export)."""
    run_once(storage, WARM_UP_TRIALS, url)
    return [run_once(storage, n, url) for _ in range(repeats)]


def median_run(runs: list[Run]) -> Run:
    """The run with the median storage time per trial."""
    times = [r.per_trial_ms(r.storage_s) for r in runs]
    return runs[times.index(statistics.median_low(times))]


def median(runs: list[Run], figure: Callable[[Run], float]) -> float:
    return statistics.median(figure(r) for r in runs)


def summary_table(results: dict[str, list[Run]]) -> list[str]:
    """Each column's median over the runs; the share is that of the median times."""
    lines = [
        "| storage | ms per trial | calls per trial | wall ms per trial | storage share "
        "| heartbeat thread, ms per trial | checkpoints, ms per trial |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        storage = median(runs, lambda r: r.per_trial_ms(r.storage_s))
        calls = median(runs, lambda r: sum(r.storage.calls.values()) / r.trials)
        wall = median(runs, lambda r: r.per_trial_ms(r.wall_s))
        heartbeat = median(runs, lambda r: r.per_trial_ms(r.storage.thread_seconds))
        checkpoints = median(runs, lambda r: r.per_trial_ms(sum(r.checkpoints.seconds.values())))
        lines.append(
            f"| {name} | {storage:.1f} | {calls:.1f} | {wall:.1f} | {storage / wall:.0%} "
            f"| {heartbeat:.2f} | {checkpoints:.2f} |"
        )
    return lines


def breakdown_table(results: dict[str, Run]) -> list[str]:
    """The methods that take the most time on any storage, then the rest, in one run
    per storage."""
    worst: dict[str, float] = defaultdict(float)
    for r in results.values():
        for method, seconds in r.storage.seconds.items():
            worst[method] = max(worst[method], r.per_trial_ms(seconds))
    top = sorted(worst, key=worst.__getitem__, reverse=True)[:TOP_METHODS]
    lines = [
        "| method | " + " | ".join(results) + " |",
        "|---|" + "---:|" * len(results),
    ]

    def cell(r: Run, methods: list[str]) -> str:
        ms = r.per_trial_ms(sum(r.storage.seconds.get(m, 0.0) for m in methods))
        calls = sum(r.storage.calls.get(m, 0) for m in methods) / r.trials
        return f"{ms:.2f} ({calls:.1f})"

    rows = [(method, [method]) for method in top]
    rest = sorted(set(worst) - set(top))
    if rest:
        rows.append((f"{len(rest)} others", rest))
    for label, methods in rows:
        cells = " | ".join(cell(r, methods) for r in results.values())
        lines.append(f"| {label} | {cells} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 trials, 1 run per storage")
    parser.add_argument("--trials", type=int, default=None, help="completed trials (30)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per storage (3)")
    parser.add_argument(
        "--storages",
        nargs="+",
        default=["sqlite", "journal", "postgresql"],
        choices=["sqlite", "journal", "postgresql"],
        help="which storages to measure",
    )
    parser.add_argument(
        "--postgresql",
        default=os.environ.get(URL_VARIABLE),
        metavar="URL",
        help=f"a PostgreSQL URL (default: ${URL_VARIABLE}); without one it is skipped",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help=f"put the tables in section {SECTION!r}"
    )
    args = parser.parse_args(argv)
    n = args.trials or (8 if args.quick else 30)
    repeats = args.repeats or (1 if args.quick else 3)
    storages = list(args.storages)
    if "postgresql" in storages and not args.postgresql:
        storages.remove("postgresql")
        print(f"postgresql: skipped (give --postgresql URL or set {URL_VARIABLE})")
    names = {"sqlite": "sqlite (WAL)", "journal": "journal", "postgresql": "postgresql"}
    results: dict[str, list[Run]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # heartbeats and artifacts are experimental
        for storage in storages:
            url = args.postgresql if storage == "postgresql" else None
            results[names[storage]] = measure(storage, n, repeats, url)
    where = f", PostgreSQL at {redact(args.postgresql)}" if "postgresql" in storages else ""
    made = ", ".join(
        f"{name} {', '.join(f'{r.completed}+{r.trials - r.completed}' for r in runs)}"
        for name, runs in results.items()
    )
    report = ", ".join(
        f"{name} {median(runs, lambda r: r.report_s):.2f}" for name, runs in results.items()
    )
    body = "\n".join(
        [
            f"search.n_trials={n}, medians of {repeats} runs, each on a fresh study{where}; "
            f"trials made per run (completed + others): {made}",
            "",
            *summary_table(results),
            "",
            "The wall time includes the final report (leaderboard, test score, model export), "
            f"median seconds: {report}.",
            "",
            "The methods that take the most time in the run with the median storage time, "
            "ms per trial (calls per trial):",
            "",
            *breakdown_table({n: median_run(runs) for n, runs in results.items()}),
        ]
    )
    print(f"\n{body}")
    if args.output is not None:
        given = sys.argv if argv is None else ["bench/storage.py", *argv]
        command = shlex.join(["python", *given])
        replace_section(args.output.resolve(), SECTION, redact(body), redact(command))
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
