"""The Lightning ``Trainer`` factory: one device, a GPU when present, DDP under torchrun.

Facts this depends on (docs/library_notes.md, "Lightning"; Lightning 2.6.6):

- Lightning resets its loggers to INFO when imported, so their levels are set to WARNING
  after the import, here and around every fit; together with no progress bar, model
  summary, logger or checkpoints, nothing reaches the console.
- With torch 2.13 Lightning raises a FutureWarning about ``LeafSpec``; it is ignored, and
  so is its "GPU available but not used" warning when ``accelerator="cpu"`` is asked for
  on a machine with a GPU (seen with Lightning 2.6.6 on an H100).
- Under torchrun, ``devices="auto"`` on CPU silently trains one copy per rank, and
  ``devices=1`` fails; DDP needs ``devices=LOCAL_WORLD_SIZE`` and
  ``num_nodes=WORLD_SIZE // LOCAL_WORLD_SIZE``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

import lightning.pytorch as pl
import torch

from torchsearch._errors import ConfigError
from torchsearch.train._settings import TrainSettings

__all__ = ["make_trainer", "quiet_lightning", "resolve_device", "torchrun_layout"]

_LOGGERS = ("lightning.pytorch", "lightning.fabric")


@contextlib.contextmanager
def quiet_lightning() -> Iterator[None]:
    """Silences Lightning's info messages and its known warnings (frozen ensemble
    members are in eval mode on purpose)."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*LeafSpec.*", FutureWarning)
            warnings.filterwarnings("ignore", ".* available but not used", UserWarning)
            warnings.filterwarnings("ignore", ".*module\\(s\\) in eval mode.*")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def torchrun_layout() -> tuple[int, int] | None:
    """``(devices, num_nodes)`` of the torchrun job this process is in, else None."""
    if "LOCAL_WORLD_SIZE" not in os.environ or "WORLD_SIZE" not in os.environ:
        return None
    local = int(os.environ["LOCAL_WORLD_SIZE"])
    return local, int(os.environ["WORLD_SIZE"]) // local


def resolve_device(settings: TrainSettings) -> torch.device:
    """The device of a single-process fit: this rank's GPU when asked for or present.

    Raises:
        ConfigError: ``accelerator="gpu"`` but torch sees no CUDA device.
    """
    cuda = torch.cuda.is_available()
    if settings.accelerator == "gpu" and not cuda:
        raise ConfigError(
            f"trainer.accelerator=gpu but torch {torch.__version__} sees no CUDA device; use "
            "trainer.accelerator=auto or trainer.accelerator=cpu."
        )
    if settings.accelerator == "cpu" or not cuda:
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))


def make_trainer(
    settings: TrainSettings,
    *,
    max_steps: int | None = None,
    max_epochs: int | None = None,
    gradient_clip_val: float | None = None,
) -> pl.Trainer:
    """A silent ``Trainer`` for one candidate.

    ``strategy="auto"`` trains on one device (this rank's GPU when there is one);
    ``strategy="ddp"`` trains over the torchrun job's processes, or over
    ``settings.devices`` processes that Lightning starts when there is no torchrun.

    Args:
        settings: the run's settings (accelerator, devices, strategy; and the budget,
            unscaled, when neither ``max_steps`` nor ``max_epochs`` is given).
        max_steps: the optimizer-step budget, or None.
        max_epochs: the epoch budget, or None.
        gradient_clip_val: the global norm to clip gradients to, or None.

    Raises:
        ConfigError: ``accelerator="gpu"`` without a CUDA device.
    """
    if max_steps is None and max_epochs is None:
        max_steps, max_epochs = settings.max_steps, settings.max_epochs
    device = resolve_device(settings)
    accelerator = "gpu" if device.type == "cuda" else "cpu"
    devices: int | list[int] = [device.index or 0] if device.type == "cuda" else 1
    num_nodes, strategy = 1, "auto"
    if settings.strategy == "ddp":
        strategy = "ddp"
        layout = torchrun_layout()
        if layout is not None:
            devices, num_nodes = layout
        else:
            devices = 1 if settings.devices == "auto" else int(settings.devices)
    with quiet_lightning():
        return pl.Trainer(
            accelerator=accelerator,
            devices=devices,
            num_nodes=num_nodes,
            strategy=strategy,
            precision=settings.precision,
            max_steps=-1 if max_steps is None else max_steps,
            max_epochs=-1 if max_epochs is None else max_epochs,
            gradient_clip_val=gradient_clip_val,
            gradient_clip_algorithm=None if gradient_clip_val is None else "norm",
            deterministic=None,  # fit() switches it on and back off (not left global)
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            limit_val_batches=0,
            default_root_dir=None,
        )
