"""The LightningModule that trains one candidate: a small system around the model.

The model stays a plain ``nn.Module``; this wrapper adds the objective (the training
loss, cross-entropy on the labels unless another :class:`TrainingLoss` such as
distillation is given, plus Model Search's explicit L2 penalty), the optimizer and
learning-rate schedule of the trial's hyperparameters (docs/model_search.md,
"Hyperparameters"), and a running mean of the training loss per epoch
(``epoch_losses``), kept instead of ``self.log``, which works only under a ``Trainer``
and costs time on every step. Gradient clipping is done by
whoever runs the loop (``Trainer(gradient_clip_val=...)`` or the lean loop), from
``gradient_max_norm``.

The hooks use neither ``self.trainer`` nor ``self.log``, so the lean loop can call them
outside a ``Trainer``; validation is :func:`~torchsearch.train.evaluate`, run once after
training.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from torchsearch.space import Hyperparameters
from torchsearch.train._data import Batch
from torchsearch.train._losses import LabelLoss
from torchsearch.train._losses import TrainingLoss
from torchsearch.train._objective import l2_penalty
from torchsearch.train._optim import build_optimizer

__all__ = ["CandidateSystem"]


class CandidateSystem(pl.LightningModule):
    """Trains ``model`` on batches of ``x``, ``y`` and ``lengths``.

    Args:
        model: the candidate; called as ``model(x)``, or ``model(x, lengths)`` when the
            batch has lengths, and returning logits ``N, C`` or ``N, T, C``.
        hyperparameters: the trial's optimization hyperparameters.
        step_increment: global steps per optimizer step for the learning-rate schedule
            (above 1 under parameter-scaled training, docs/model_search.md, "Training").
        loss: what the model minimises on a batch; :class:`LabelLoss` when None. Not a
            submodule: a distillation teacher is neither trained, checkpointed nor moved
            with the system (``fit`` and :meth:`on_fit_start` move it).
    """

    def __init__(
        self,
        model: nn.Module,
        hyperparameters: Hyperparameters | None = None,
        step_increment: int = 1,
        loss: TrainingLoss | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["model", "loss"])
        self.model = model
        self.loss = loss if loss is not None else LabelLoss()
        self.config = hyperparameters or Hyperparameters()
        self.epoch_losses: list[float] = []
        self._step_losses: list[torch.Tensor] = []  # appended to: no per-step setattr

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(x) if lengths is None else self.model(x, lengths)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self.loss(self.model, batch)
        self._step_losses.append(loss.detach())
        if self.config.l2_regularization > 0:
            loss = loss + l2_penalty(self.trainable_parameters(), self.config.l2_regularization)
        return loss

    def on_fit_start(self) -> None:
        """Under a ``Trainer``: the loss's modules (a teacher) go where the model went."""
        self.loss.to(self.device)

    def on_train_epoch_start(self) -> None:
        self._step_losses.clear()

    def on_train_epoch_end(self) -> None:
        if self._step_losses:
            self.epoch_losses.append(torch.stack(self._step_losses).mean().item())

    def configure_optimizers(self) -> Any:
        optimizer, schedule = build_optimizer(
            self.trainable_parameters(), self.config, self.hparams.step_increment
        )
        if schedule is None:
            return optimizer
        step_schedule = {"scheduler": schedule, "interval": "step"}
        return {"optimizer": optimizer, "lr_scheduler": step_schedule}

    def trainable_parameters(self) -> list[nn.Parameter]:
        """The parameters the optimizer updates and the L2 penalty covers."""
        return [p for p in self.parameters() if p.requires_grad]
