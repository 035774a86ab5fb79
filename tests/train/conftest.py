"""Fixtures for the training tests: tiny splits and optimizer-step recorders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook
from train_helpers import Tensors
from train_helpers import separable


@pytest.fixture
def train_split() -> Tensors:
    return separable(240, seed=1)


@pytest.fixture
def val_split() -> Tensors:
    return separable(120, seed=2)


@pytest.fixture
def optimizer_steps() -> Iterator[list[float]]:
    """The learning rate of every optimizer step taken while the test runs."""
    rates: list[float] = []
    handle = register_optimizer_step_post_hook(
        lambda opt, args, kwargs: rates.append(opt.param_groups[0]["lr"])
    )
    yield rates
    handle.remove()


@pytest.fixture
def grad_norms() -> Iterator[list[float]]:
    """The global gradient norm of every optimizer step taken while the test runs.

    Read after the step: under Lightning the gradients are computed inside
    ``optimizer.step(closure)``, after the pre-hooks have run.
    """
    norms: list[float] = []

    def record(opt: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        grads = [p.grad for group in opt.param_groups for p in group["params"]]
        norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    handle = register_optimizer_step_post_hook(record)
    yield norms
    handle.remove()
