"""Per-trial curve files under the run folder: ``trainer.loggers=[csv,tensorboard]``.

Each trial's curve (its validation metrics at every report, its training loss per epoch)
is written to ``logs/trial_<n>/`` by the process that trains it, ``n`` being the Optuna
trial number, which no two trials of a study share: the workers of a study, under
torchrun or on several hosts, never write the same folder (docs/curves.md).
"""

from __future__ import annotations

import csv
from abc import ABC
from abc import abstractmethod
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import TextIO

from torchsearch._errors import ConfigError
from torchsearch._schema import LOGGERS

__all__ = [
    "LOGGERS",
    "CsvLogger",
    "TensorBoardLogger",
    "TrialLogger",
    "check_loggers",
    "open_loggers",
    "trial_log_folder",
]

TENSORBOARD_HINT = 'pip install "torchsearch[tensorboard]"'


class TrialLogger(ABC):
    """Writes one trial's learning curve somewhere.

    One logger is made per trial (and per chosen logger) by the process that trains the
    trial. It is then told, in the order they happen: ``epoch`` after each epoch of
    training, ``validation`` at each report of the validation metrics (the last one is
    the trial's final evaluation, unless the pruner stopped it), and ``close`` once,
    however the trial ended. Values may be ``nan`` (a diverged candidate); a logger
    writes them as they are.
    """

    @abstractmethod
    def epoch(self, step: int, train_loss: float) -> None:
        """An epoch ended after ``step`` optimizer steps with this mean training loss."""

    @abstractmethod
    def validation(self, step: int, metrics: Mapping[str, float]) -> None:
        """The validation metrics after ``step`` optimizer steps."""

    @abstractmethod
    def close(self) -> None:
        """The trial ended: flush and release what the logger holds."""


class CsvLogger(TrialLogger):
    """``metrics.csv``: a row per report, ``step``, ``train_loss`` (the mean training
    loss of the last finished epoch, empty before the first) and ``validation_<metric>``
    for each validation metric. Each row is flushed as it is written."""

    FILE = "metrics.csv"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE
        self._file: TextIO = self.path.open("w", newline="")
        self._writer = csv.writer(self._file)
        self._names: list[str] | None = None
        self._train_loss: float | None = None

    def epoch(self, step: int, train_loss: float) -> None:
        self._train_loss = train_loss

    def validation(self, step: int, metrics: Mapping[str, float]) -> None:
        if self._names is None:
            self._names = list(metrics)
            header = ["step", "train_loss", *(f"validation_{n}" for n in self._names)]
            self._writer.writerow(header)
        loss = "" if self._train_loss is None else repr(self._train_loss)
        self._writer.writerow([step, loss, *(repr(float(metrics[n])) for n in self._names)])
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class TensorBoardLogger(TrialLogger):
    """TensorBoard event files: the scalars ``train/loss`` per epoch and
    ``validation/<metric>`` per report, at their optimizer step
    (``tensorboard --logdir outputs/<study>/logs`` shows a run per trial)."""

    def __init__(self, folder: Path) -> None:
        self._writer = _summary_writer()(log_dir=str(folder))

    def epoch(self, step: int, train_loss: float) -> None:
        self._writer.add_scalar("train/loss", train_loss, step)

    def validation(self, step: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self._writer.add_scalar(f"validation/{name}", float(value), step)

    def close(self) -> None:
        self._writer.close()


_MAKERS: dict[str, Callable[[Path], TrialLogger]] = {
    "csv": CsvLogger,
    "tensorboard": TensorBoardLogger,
}
"""The logger of each name of ``trainer.loggers`` (the schema's :data:`LOGGERS`)."""


def check_loggers(names: Iterable[Any]) -> tuple[str, ...]:
    """Checks ``trainer.loggers`` before any trial: known names, each once, and what
    they need installed.

    Raises:
        ConfigError: an unknown or repeated name, or TensorBoard's package missing.
    """
    chosen = tuple(str(n) for n in names)
    for name in chosen:
        if name not in _MAKERS:
            raise ConfigError(
                f"trainer.loggers lists {name!r}, which is not one of {', '.join(LOGGERS)}."
            )
    if len(set(chosen)) < len(chosen):
        raise ConfigError(f"trainer.loggers lists a name twice: {list(chosen)!r}.")
    if "tensorboard" in chosen:
        _summary_writer()
    return chosen


def open_loggers(names: Iterable[str], folder: Path) -> list[TrialLogger]:
    """The loggers ``names`` of one trial, writing into ``folder`` (created)."""
    names = tuple(names)
    if not names:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return [_MAKERS[name](folder) for name in names]


def trial_log_folder(logs: Path, number: int) -> Path:
    """Where trial ``number``'s loggers write, under the run folder's ``logs``."""
    return logs / f"trial_{number}"


def _summary_writer() -> Any:
    """torch's ``SummaryWriter`` class, which needs the ``tensorboard`` package.

    Raises:
        ConfigError: it is not installed (or broken), with the command that installs it.
    """
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            "trainer.loggers=[tensorboard] needs the tensorboard package, which cannot be "
            f"imported ({reason}); install it with: {TENSORBOARD_HINT}"
        ) from None
    return SummaryWriter
