"""Every optimizer trains; decay, warmup, clipping and L2 change training as specified.

Each effect is observed from outside, through torch's global optimizer-step hooks
(learning rates, gradient norms) and the trained weights, not Lightning's state.
"""

from __future__ import annotations

import pytest
import torch
from train_helpers import Tensors
from train_helpers import mlp

from torchsearch.train import OPTIMIZERS
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit
from torchsearch.train import learning_rate_factor

STEPS = TrainSettings(max_steps=40, batch_size=32)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_trains(optimizer: str, train_split: Tensors, val_split: Tensors) -> None:
    model = mlp()
    before = evaluate(model, val_split)["loss"]
    hparams = Hyperparameters(optimizer=optimizer, learning_rate=0.05)
    result = fit(model, train_split, val_split, hparams, STEPS)
    assert result.metrics["loss"] < before


@pytest.mark.parametrize("loop", ["lean", "lightning"])
def test_staircase_decay_and_warmup_set_each_steps_rate(
    loop: str, train_split: Tensors, val_split: Tensors, optimizer_steps: list[float]
) -> None:
    hparams = Hyperparameters(
        learning_rate=0.1,
        exponential_decay_rate=0.5,
        exponential_decay_steps=10,
        lr_warmup_steps=4,
    )
    fit(
        mlp(),
        train_split,
        val_split,
        hparams,
        TrainSettings(max_steps=25, batch_size=32, loop=loop),
    )
    expected = [0.0, 0.025, 0.05, 0.075] + [0.1] * 6 + [0.05] * 10 + [0.025] * 5
    assert optimizer_steps == pytest.approx(expected)


def test_the_schedule_runs_on_the_scaled_global_step() -> None:
    # Parameter-scaled training advances the global step by the increment.
    hparams = Hyperparameters(exponential_decay_rate=0.5, exponential_decay_steps=10)
    assert [learning_rate_factor(k, hparams, step_increment=3) for k in (0, 3, 4, 7)] == [
        1.0,
        1.0,
        0.5,
        0.25,
    ]


def test_no_schedule_keeps_the_rate(
    train_split: Tensors, val_split: Tensors, optimizer_steps: list[float]
) -> None:
    fit(mlp(), train_split, val_split, Hyperparameters(learning_rate=0.02), STEPS)
    assert set(optimizer_steps) == {0.02}


@pytest.mark.parametrize("loop", ["lean", "lightning"])
def test_clipping_bounds_the_global_gradient_norm(
    loop: str, train_split: Tensors, val_split: Tensors, grad_norms: list[float]
) -> None:
    loud = Tensors(train_split.x * 50, train_split.y)  # large inputs, large gradients
    settings = TrainSettings(max_steps=10, batch_size=32, loop=loop)
    hparams = Hyperparameters(optimizer="sgd", learning_rate=1e-4)
    fit(mlp(), loud, val_split, hparams, settings)
    assert max(grad_norms) > 5
    grad_norms.clear()
    clipped = Hyperparameters(optimizer="sgd", learning_rate=1e-4, gradient_max_norm=1.0)
    fit(mlp(), loud, val_split, clipped, settings)
    assert len(grad_norms) == 10
    assert max(grad_norms) <= 1.0 + 1e-5


def test_l2_shrinks_the_weights(train_split: Tensors, val_split: Tensors) -> None:
    norms = {}
    for l2 in (0.0, 0.1):
        model = mlp()
        fit(model, train_split, val_split, Hyperparameters(l2_regularization=l2), STEPS)
        norms[l2] = sum(float(p.detach().square().sum()) for p in model.parameters())
    assert norms[0.1] < 0.9 * norms[0.0]


def test_l2_covers_every_trainable_parameter_as_tf_l2_loss(
    train_split: Tensors, val_split: Tensors, grad_norms: list[float]
) -> None:
    # With all-zero inputs and labels, only the penalty l2 * sum(w**2) / 2 has a gradient
    # in the first layer: l2 * w, biases included; frozen parameters are left alone.
    model = mlp()
    model[0].bias.requires_grad_(False)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    zeros = Tensors(torch.zeros_like(train_split.x), torch.zeros_like(train_split.y))
    hparams = Hyperparameters(optimizer="sgd", learning_rate=0.5, l2_regularization=0.2)
    fit(model, zeros, val_split, hparams, TrainSettings(max_steps=1, batch_size=240))
    assert torch.allclose(model[0].weight, start["0.weight"] * (1 - 0.5 * 0.2))
    assert torch.equal(model[0].bias, start["0.bias"])
