"""Optimizers, the learning-rate schedule and parameter-scaled step budgets.

Ported from Model Search's ``task_manager._get_optimizer_fn`` and
``phoenix._increment_global_step`` (docs/model_search.md, "Hyperparameters" and
"Training"). The optimizers keep TensorFlow 1's settings where torch's defaults differ
(Adagrad's initial accumulator 0.1; RMSProp's decay 0.9 and epsilon 1e-10). One
difference remains: TF's RMSProp starts its mean square at 1, torch's at 0, so torch's
first RMSProp steps are larger.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Iterable
from functools import partial

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from torchsearch.space import Hyperparameters

__all__ = [
    "OPTIMIZER_FACTORIES",
    "build_optimizer",
    "global_step_increment",
    "learning_rate_factor",
    "parameter_scaled_steps",
]

OPTIMIZER_FACTORIES: dict[str, Callable[..., Optimizer]] = {
    "sgd": torch.optim.SGD,
    "momentum": partial(torch.optim.SGD, momentum=0.9),
    "adagrad": partial(torch.optim.Adagrad, initial_accumulator_value=0.1),
    "adam": torch.optim.Adam,
    "rmsprop": partial(torch.optim.RMSprop, alpha=0.9, eps=1e-10),
}
"""Each optimizer name of :data:`~torchsearch.train.OPTIMIZERS`, as ``factory(params, lr=...)``."""


def build_optimizer(
    parameters: Iterable[torch.nn.Parameter], hparams: Hyperparameters, step_increment: int = 1
) -> tuple[Optimizer, LambdaLR | None]:
    """The trial's optimizer and, when decay or warmup is on, its per-step LR schedule.

    Args:
        parameters: the trainable parameters.
        hparams: the trial's hyperparameters.
        step_increment: global steps per optimizer step (above 1 under parameter-scaled
            training, where Model Search's schedule ran on the scaled global step).
    """
    optimizer = OPTIMIZER_FACTORIES[hparams.optimizer](parameters, lr=hparams.learning_rate)
    if hparams.exponential_decay_rate is None and hparams.lr_warmup_steps == 0:
        return optimizer, None
    factor = partial(learning_rate_factor, hparams=hparams, step_increment=step_increment)
    return optimizer, LambdaLR(optimizer, factor)


def learning_rate_factor(step: int, hparams: Hyperparameters, step_increment: int = 1) -> float:
    """The learning rate of optimizer step ``step`` (from 0), relative to the initial one.

    Staircase exponential decay on the global step ``step * step_increment``; during
    warmup, ``global_step / lr_warmup_steps`` instead (so the first step has rate 0, as in
    Model Search), never above 1.
    """
    global_step = step * step_increment
    if global_step < hparams.lr_warmup_steps:
        return min(global_step / hparams.lr_warmup_steps, 1.0)
    if hparams.exponential_decay_rate is None or hparams.exponential_decay_steps is None:
        return 1.0
    return hparams.exponential_decay_rate ** (global_step // hparams.exponential_decay_steps)


def global_step_increment(train_steps: int, depth: int, maximum_depth: int) -> int:
    """How far one optimizer step advances the global step.

    ``max(train_steps // (depth * max(train_steps // maximum_depth, 1)), 1)``: 1 for the
    deepest towers, larger for shallow ones.
    """
    per_block = max(train_steps // maximum_depth, 1)
    return max(train_steps // (depth * per_block), 1)


def parameter_scaled_steps(train_steps: int, depth: int, maximum_depth: int) -> int:
    """Optimizer steps until the global step reaches ``train_steps``.

    About ``depth / maximum_depth * train_steps``; e.g. 10000 steps, maximum depth 10 and
    depth 3 give an increment of 3 and 3334 steps.
    """
    return math.ceil(train_steps / global_step_increment(train_steps, depth, maximum_depth))
