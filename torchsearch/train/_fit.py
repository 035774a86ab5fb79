"""Training one candidate and scoring it: :func:`fit` and :func:`evaluate`.

``fit`` checks the data, seeds, works out the step budget (parameter-scaled when asked,
see docs/model_search.md, "Training"), runs the optimization (the lean loop in this
process, or a Lightning ``Trainer`` for DDP, see ``_loop.py``) and evaluates the
validation split once at the end. ``evaluate`` is a plain ``inference_mode`` loop over
large batches: for a 359-example split it takes 0.25 ms, a silent ``Trainer.validate``
6 ms (``bench/overhead.py``).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass

import lightning.pytorch as pl
import torch
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.space import Hyperparameters
from torchsearch.train._data import Batches
from torchsearch.train._data import Split
from torchsearch.train._data import check_split
from torchsearch.train._loop import run_lean
from torchsearch.train._loop import run_lightning
from torchsearch.train._losses import TrainingLoss
from torchsearch.train._objective import loss_and_correct
from torchsearch.train._objective import regression_metrics
from torchsearch.train._objective import regression_sums
from torchsearch.train._optim import global_step_increment
from torchsearch.train._settings import TrainSettings
from torchsearch.train._system import CandidateSystem
from torchsearch.train._trainer import make_trainer
from torchsearch.train._trainer import resolve_device
from torchsearch.train._trainer import torchrun_layout

__all__ = ["FitResult", "evaluate", "fit"]


@dataclass(frozen=True)
class FitResult:
    """What training a candidate gave.

    Attributes:
        metrics: the validation ``loss`` (mean cross-entropy) and ``accuracy``.
        train_seconds: wall time of the optimization loop.
        steps: optimizer steps taken.
        epochs: passes over the training split, fractional when the step budget ends
            within an epoch.
        train_loss: the mean training loss (without the L2 penalty) of the last epoch.
    """

    metrics: dict[str, float]
    train_seconds: float
    steps: int
    epochs: float
    train_loss: float


def fit(
    model: nn.Module,
    train: Split,
    validation: Split,
    hparams: Hyperparameters | None = None,
    settings: TrainSettings | None = None,
    *,
    depth: int | None = None,
    validate_every: int | None = None,
    on_validation: Callable[[int, dict[str, float]], None] | None = None,
    on_epoch_end: Callable[[int, float], None] | None = None,
    loss: TrainingLoss | None = None,
) -> FitResult:
    """Trains ``model`` in place on ``train`` and evaluates it on ``validation``.

    Args:
        model: the candidate, ``model(x[, lengths]) -> logits``.
        train: the training split.
        validation: the split scored after training.
        hparams: the trial's hyperparameters; the defaults when None.
        settings: the run's settings; the defaults when None.
        depth: the tower's depth for parameter-scaled training; by default the length
            of the longest tower of ``model.architecture``.
        validate_every: evaluate ``validation`` every this many steps while training
            (lean loop only); evaluation changes nothing in the training itself.
        on_validation: called as ``on_validation(steps, metrics)`` at each of those.
        on_epoch_end: called as ``on_epoch_end(steps, train_loss)`` after each epoch with
            the epoch's mean training loss (lean loop only; ignored under Lightning).
        loss: what ``model`` minimises while training, cross-entropy on the labels
            (:class:`LabelLoss`) when None. A :class:`DistillationLoss`'s teacher is moved
            to the training device, and left there for the next student. Validation
            scores the label loss whatever the training loss.

    Returns:
        The validation metrics, the time, steps and epochs trained.

    Raises:
        ConfigError: the settings cannot work here (no GPU, no depth for scaling).
        DataError: a split has the wrong shapes or dtypes.
    """
    hparams = hparams or Hyperparameters()
    settings = settings or TrainSettings()
    check_split("training", train)
    check_split("validation", validation)
    lean = settings.resolved_loop == "lean"
    if validate_every is not None and (validate_every < 1 or not lean):
        raise ConfigError("validate_every needs a positive step count and the lean loop.")
    device = resolve_device(settings)
    rank, world = (0, 1) if lean else _process_layout(settings)
    pl.seed_everything(settings.seed, workers=True, verbose=False)
    batches = Batches(
        train,
        settings.batch_size,
        settings.seed,
        rank,
        world,
        device if lean and settings.num_workers == 0 else None,
    )
    max_steps, max_epochs, increment = _budget(model, settings, len(batches), depth)
    system = CandidateSystem(model, hparams, increment, loss)
    data = batches
    if settings.num_workers > 0:
        data = batches.loader(settings.num_workers, pin_memory=device.type == "cuda")
    home = _device_of(model)
    with _deterministic(settings.deterministic):
        start = time.perf_counter()
        if lean:
            system.to(device)
            system.loss.to(device)
            after_step = None
            if validate_every is not None and on_validation is not None:

                def after_step(step: int) -> None:
                    if step % validate_every == 0:
                        on_validation(step, evaluate(model, validation, settings.eval_batch_size))

            after_epoch = None
            if on_epoch_end is not None:

                def after_epoch(step: int) -> None:
                    if system.epoch_losses:
                        on_epoch_end(step, system.epoch_losses[-1])

            steps = run_lean(
                system,
                data,
                device,
                max_steps=max_steps,
                max_epochs=max_epochs,
                gradient_clip_val=hparams.gradient_max_norm,
                after_step=after_step,
                after_epoch=after_epoch,
                precision=settings.precision,
            )
        else:
            trainer = make_trainer(
                settings,
                max_steps=max_steps,
                max_epochs=max_epochs,
                gradient_clip_val=hparams.gradient_max_norm,
            )
            _check_layout(trainer, rank, world)
            steps = run_lightning(system, data, trainer)
            device = trainer.strategy.root_device  # Lightning moved the model back to CPU
        _synchronize(device)
        seconds = time.perf_counter() - start
    metrics = evaluate(model.to(device), validation, settings.eval_batch_size)
    model.to(home)
    train_loss = system.epoch_losses[-1] if system.epoch_losses else math.nan
    return FitResult(metrics, seconds, steps, steps / len(batches), train_loss)


@torch.inference_mode()
def evaluate(model: nn.Module, split: Split, batch_size: int = 1024) -> dict[str, float]:
    """The mean cross-entropy (``loss``) and ``accuracy`` of ``model`` on ``split``; for
    float targets (regression), ``loss`` (the mean squared error in standardised units),
    ``rmse``, ``mae`` (in the target's units: ``split.y_scale``, when it has one, is the
    target's standard deviation) and ``r2``.

    Every example (every valid step, for a label per step) weighs the same. The model is
    evaluated in eval mode on the device it is on, and its mode restored afterwards.

    Raises:
        DataError: the split has the wrong shapes or dtypes.
    """
    check_split("evaluation", split)
    device = _device_of(model)
    was_training = model.training
    model.eval()
    regression = split.y.is_floating_point()
    totals = torch.zeros(5 if regression else 3, dtype=torch.float64, device=device)
    for start in range(0, len(split.x), batch_size):
        x, y = split.x[start : start + batch_size], split.y[start : start + batch_size]
        x, y = x.to(device), y.to(device)
        lengths = None
        if split.lengths is not None:
            lengths = split.lengths[start : start + batch_size].to(device)
        logits = model(x) if lengths is None else model(x, lengths)
        if regression:
            totals += regression_sums(logits.to(totals.dtype), y.to(totals.dtype))
        else:
            totals += torch.stack(loss_and_correct(logits, y, lengths)).to(totals.dtype)
    model.train(was_training)
    if regression:
        return regression_metrics(totals.tolist(), getattr(split, "y_scale", 1.0))
    loss, correct, count = totals.tolist()
    return {"loss": loss / count, "accuracy": correct / count}


def _budget(
    model: nn.Module, settings: TrainSettings, steps_per_epoch: int, depth: int | None
) -> tuple[int | None, int | None, int]:
    """``(max_steps, max_epochs, global-step increment)`` of the run."""
    if not settings.parameter_scaled_training:
        return settings.max_steps, settings.max_epochs, 1
    assert settings.maximum_depth is not None  # checked by TrainSettings
    depth = depth if depth is not None else _architecture_depth(model)
    train_steps = settings.max_steps or settings.max_epochs * steps_per_epoch  # type: ignore[operator]
    increment = global_step_increment(train_steps, depth, settings.maximum_depth)
    return math.ceil(train_steps / increment), None, increment


def _architecture_depth(model: nn.Module) -> int:
    towers = getattr(getattr(model, "architecture", None), "towers", None)
    if not towers:
        raise ConfigError(
            "parameter_scaled_training needs the tower's depth; pass depth= to fit, or a "
            "model with an architecture (as torchsearch.build_model returns)."
        )
    return max(len(tower) for tower in towers)


def _process_layout(settings: TrainSettings) -> tuple[int, int]:
    """``(rank, world size)`` of the Lightning run these settings ask for."""
    if settings.strategy != "ddp":
        return 0, 1
    layout = torchrun_layout()
    if layout is not None:
        return int(os.environ.get("RANK", 0)), layout[0] * layout[1]
    world = 1 if settings.devices == "auto" else int(settings.devices)
    # Lightning starts ranks 1.. itself and gives each its LOCAL_RANK
    # (docs/library_notes.md, "Lightning").
    return int(os.environ.get("LOCAL_RANK", 0)), world


def _check_layout(trainer: pl.Trainer, rank: int, world: int) -> None:
    if (trainer.global_rank, trainer.world_size) != (rank, world):
        raise ConfigError(
            f"Expected rank {rank} of {world} processes, but Lightning runs rank "
            f"{trainer.global_rank} of {trainer.world_size}; check the torchrun setup."
        )


@contextlib.contextmanager
def _deterministic(on: bool) -> Iterator[None]:
    """Deterministic algorithms while training, then the previous setting again."""
    if not on:
        yield
        return
    previous = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # as Lightning sets it
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=warn_only)


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return torch.device("cpu") if parameter is None else parameter.device


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
