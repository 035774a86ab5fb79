"""The two ways to run a :class:`CandidateSystem`'s optimization: lean and Lightning.

Both call the hooks :class:`CandidateSystem` defines, in the same order
(``configure_optimizers``; per epoch ``on_train_epoch_start``, per step zero-grad,
``training_step``, backward, clipping, optimizer and scheduler steps;
``on_train_epoch_end``), and give bit-identical weights on CPU; other Lightning hooks
(callbacks, ``on_before_backward`` ...) run only under Lightning.

The lean loop exists for speed. A ``Trainer`` spends 0.4-0.6 ms of Python per step on
hook dispatch, progress tracking and its optimizer closure, and about 10 ms per fit on
setup: on 2 CPU cores that is 1.5-2.0 times a plain loop's time for the tiny candidates
of a search, against 0.97-1.03 for the lean loop (``bench/overhead.py``, 1000 steps;
docs/library_notes.md, "Lightning"). Lightning remains the path for DDP.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import lightning.pytorch as pl
import torch
from torch.nn.utils import clip_grad_norm_
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from torchsearch.train._data import Batch
from torchsearch.train._data import Batches
from torchsearch.train._system import CandidateSystem
from torchsearch.train._trainer import quiet_lightning

__all__ = ["run_lean", "run_lightning"]


def run_lean(
    system: CandidateSystem,
    batches: Iterable[Batch],
    device: torch.device,
    *,
    max_steps: int | None,
    max_epochs: int | None,
    gradient_clip_val: float | None,
    after_step: Callable[[int], None] | None = None,
    after_epoch: Callable[[int], None] | None = None,
    precision: str = "32",
) -> int:
    """Trains ``system`` in this process on ``device``; returns the optimizer steps taken.

    ``system`` must already be on ``device``; so must the batches of :class:`Batches`,
    while those of a ``DataLoader`` (worker processes) are moved there one by one.
    ``after_step(steps)`` is called after every optimizer step, ``after_epoch(steps)``
    after every epoch (its ``on_train_epoch_end``). A mixed ``precision``
    runs the training step under ``torch.autocast``; ``16-mixed`` scales the loss as
    Lightning does (the gradients are unscaled before clipping), and on the CPU is
    bfloat16 without scaling, as Lightning makes it there.
    """
    optimizer, scheduler = _unpack(system.configure_optimizers())
    autocast = _autocast(device, precision)
    scaler = None
    if precision == "16-mixed" and device.type != "cpu":
        scaler = torch.amp.GradScaler(device.type)
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    steps, epoch = 0, 0
    move = not isinstance(batches, Batches) and device.type != "cpu"
    system.train()
    while (max_steps is None or steps < max_steps) and (max_epochs is None or epoch < max_epochs):
        system.on_train_epoch_start()
        for batch_idx, batch in enumerate(batches):
            if move:
                batch = _to(batch, device)
            optimizer.zero_grad(set_to_none=True)
            if autocast is None:
                system.training_step(batch, batch_idx).backward()
            else:
                with autocast:
                    loss = system.training_step(batch, batch_idx)
                (loss if scaler is None else scaler.scale(loss)).backward()
            if scaler is not None:
                scaler.unscale_(optimizer)
            if gradient_clip_val is not None:
                clip_grad_norm_(parameters, gradient_clip_val)
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
                scaler.update()
            if scheduler is not None:
                scheduler.step()
            steps += 1
            if after_step is not None:
                after_step(steps)
            if steps == max_steps:
                break
        system.on_train_epoch_end()
        epoch += 1
        if after_epoch is not None:
            after_epoch(steps)
    return steps


def run_lightning(system: CandidateSystem, batches: Iterable[Batch], trainer: pl.Trainer) -> int:
    """Trains ``system`` with ``trainer`` (from :func:`make_trainer`); returns the steps."""
    with quiet_lightning():
        trainer.fit(system, train_dataloaders=batches)
    return trainer.global_step


def _autocast(device: torch.device, precision: str) -> torch.autocast | None:
    """The autocast context of a mixed ``precision``; ``None`` for float32."""
    if precision == "32":
        return None
    half = precision == "16-mixed" and device.type != "cpu"
    return torch.autocast(device.type, dtype=torch.float16 if half else torch.bfloat16)


def _unpack(configured: Any) -> tuple[Optimizer, LRScheduler | None]:
    """The optimizer and step-wise scheduler of ``configure_optimizers``' two shapes."""
    if isinstance(configured, Optimizer):
        return configured, None
    schedule = configured["lr_scheduler"]
    scheduler = schedule["scheduler"] if isinstance(schedule, dict) else schedule
    return configured["optimizer"], scheduler


def _to(batch: Batch, device: torch.device) -> Batch:
    x, y, lengths = (None if t is None else t.to(device, non_blocking=True) for t in batch)
    return Batch(x, y, lengths)
