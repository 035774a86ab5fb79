"""Records shared by the benchmark methods: the budget, one trial, one method's result,
and the budgets of a full and a quick run.

Every method of ``bench/run.py`` is a function ``(task, budget, seed) -> MethodResult``;
the report reads only these records, so a new method needs no change elsewhere.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True)
class Budget:
    """What every method gets, identical across methods in one run.

    Args:
        n_trials: at most this many trials (candidate trainings) per search method.
        trial_steps: optimizer steps per trial (every searcher and the TPE baseline).
        seconds: wall-clock budget per search method: no trial starts after it (None:
            trials only).
        batch_size: examples per training step, for every trial.
        anchor_steps: optimizer steps of the hand-designed anchors (8000 published).
        population_size: regularized evolution's population (its first trials are random).
        max_parameters: the cap of the parameter-capped searches (``*-small`` methods);
            None: the task has none.
    """

    n_trials: int
    trial_steps: int
    seconds: float | None = None
    batch_size: int = 100
    anchor_steps: int = 8000
    population_size: int = 10
    max_parameters: int | None = None


@dataclass(frozen=True)
class Task:
    """A data set and the torchsearch space searched on it.

    Args:
        data: the torchsearch data set name (``data=<name>``).
        space: the torchsearch space name (``space=<name>``).
        anchors: names of the hand-designed models in ``bench/anchors.py`` for this data.
        data_seed: the split seed, fixed across methods and seeds so every method sees the
            same train / validation / test examples.
        goal: the test accuracy the selected model should reach (None: no goal).
        small_goal: the same for the parameter-capped search.
        overrides: more config overrides for its data (e.g. a CSV's path and label).
        label: its name in the tables; ``data`` when None.
    """

    data: str
    space: str
    anchors: tuple[str, ...]
    data_seed: int = 0
    goal: float | None = None
    small_goal: float | None = None
    overrides: tuple[str, ...] = ()
    label: str | None = None

    @property
    def name(self) -> str:
        """The task's name in the tables and result files."""
        return self.label or self.data


@dataclass
class TrialRecord:
    """One finished trial, in the order trials finished.

    Args:
        number: the trial's index in the method's run.
        seconds: wall seconds from the method's start to this trial's end.
        validation_accuracy: what selection reads.
        test_accuracy: this trial's model on test, or None if not measured (only for
            the curves and the front; never used for selection).
        parameters: the model's trainable parameter count.
        architecture: the model's blocks, e.g. ``"CONVOLUTION_1X5_BN > MAX_POOLING_2X2"``.
    """

    number: int
    seconds: float
    validation_accuracy: float
    test_accuracy: float | None
    parameters: int
    architecture: str = ""


@dataclass
class MethodResult:
    """A method's outcome on one task for one seed.

    Args:
        method: the method's name in the table.
        task: the data set name.
        seed: the seed of this run.
        test_accuracy: test accuracy of the model selected by validation.
        validation_accuracy: its validation accuracy.
        parameters: its parameter count.
        seconds: the method's wall time.
        trials: the finished trials, for the best-so-far curves.
        note: anything the reader should know (a failure, a stand-in).
    """

    method: str
    task: str
    seed: int
    test_accuracy: float
    validation_accuracy: float
    parameters: int
    seconds: float
    trials: list[TrialRecord] = field(default_factory=list)
    note: str = ""

    def best_so_far(self) -> list[tuple[int, float, float, float | None]]:
        """``(trial, seconds, best validation so far, test of that trial)`` per trial."""
        curve: list[tuple[int, float, float, float | None]] = []
        best: TrialRecord | None = None
        for index, trial in enumerate(self.trials, start=1):
            if best is None or trial.validation_accuracy > best.validation_accuracy:
                best = trial
            curve.append((index, trial.seconds, best.validation_accuracy, best.test_accuracy))
        return curve


def median(values: list[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


PAPER_CNN_HALF = 2_600
"""Half the MNIST-1D paper CNN's 5,210 parameters: the cap of the small-model goal."""
FULL = {
    "mnist1d": Budget(
        n_trials=100,
        trial_steps=1500,
        seconds=180,
        batch_size=64,
        anchor_steps=8000,
        max_parameters=PAPER_CNN_HALF,
    ),
    "digits": Budget(n_trials=100, trial_steps=500, seconds=45, batch_size=32, anchor_steps=8000),
}
"""The budget of each data set in a full run (``bench/run.py``, ``bench/transfer.py``)."""
QUICK = {
    "mnist1d": Budget(
        n_trials=3,
        trial_steps=15,
        seconds=60,
        batch_size=64,
        anchor_steps=30,
        population_size=2,
        max_parameters=PAPER_CNN_HALF,
    ),
    "digits": Budget(n_trials=3, trial_steps=15, seconds=60, anchor_steps=30, population_size=2),
}
"""The same for the CI smoke check (``--quick``)."""
