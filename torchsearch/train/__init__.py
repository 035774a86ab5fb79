"""Training candidates: settings, losses, the LightningModule, ``fit`` and ``evaluate``.

Imports only torch and Lightning (docs/architecture.md): the driver hands in a built
model and in-memory splits (anything with ``x``, ``y`` and ``lengths``) and gets metrics
back. Single-process runs use a lean loop over the :class:`CandidateSystem`'s hooks; DDP
runs use a Lightning ``Trainer`` from :func:`make_trainer`.
"""

from __future__ import annotations

from torchsearch.space import EXPONENTIAL_DECAY_TIMES
from torchsearch.space import OPTIMIZERS
from torchsearch.space import Hyperparameters
from torchsearch.space import decay_steps
from torchsearch.train._data import Batch
from torchsearch.train._data import Batches
from torchsearch.train._data import Split
from torchsearch.train._fit import FitResult
from torchsearch.train._fit import evaluate
from torchsearch.train._fit import fit
from torchsearch.train._losses import DISTILLATION_KINDS
from torchsearch.train._losses import REGRESSION_DISTILLATION
from torchsearch.train._losses import DistillationLoss
from torchsearch.train._losses import LabelLoss
from torchsearch.train._losses import TrainingLoss
from torchsearch.train._losses import distillation_loss
from torchsearch.train._losses import distillation_loss_from_targets
from torchsearch.train._losses import teacher_targets
from torchsearch.train._objective import REGRESSION_LOSSES
from torchsearch.train._objective import cross_entropy
from torchsearch.train._objective import l2_penalty
from torchsearch.train._objective import label_loss
from torchsearch.train._optim import build_optimizer
from torchsearch.train._optim import global_step_increment
from torchsearch.train._optim import learning_rate_factor
from torchsearch.train._optim import parameter_scaled_steps
from torchsearch.train._settings import TrainSettings
from torchsearch.train._system import CandidateSystem
from torchsearch.train._trainer import make_trainer
from torchsearch.train._trainer import resolve_device

__all__ = [
    "DISTILLATION_KINDS",
    "EXPONENTIAL_DECAY_TIMES",
    "OPTIMIZERS",
    "REGRESSION_DISTILLATION",
    "REGRESSION_LOSSES",
    "Batch",
    "Batches",
    "CandidateSystem",
    "DistillationLoss",
    "FitResult",
    "Hyperparameters",
    "LabelLoss",
    "Split",
    "TrainSettings",
    "TrainingLoss",
    "build_optimizer",
    "cross_entropy",
    "decay_steps",
    "distillation_loss",
    "distillation_loss_from_targets",
    "evaluate",
    "fit",
    "global_step_increment",
    "l2_penalty",
    "label_loss",
    "learning_rate_factor",
    "make_trainer",
    "resolve_device",
    "parameter_scaled_steps",
    "teacher_targets",
]
