"""Loss and metrics: per-step labels skip padded steps; every prediction weighs the same."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F
from train_helpers import PerStep
from train_helpers import Tensors
from train_helpers import mlp

from torchsearch import DataError
from torchsearch.train import TrainSettings
from torchsearch.train import cross_entropy
from torchsearch.train import evaluate
from torchsearch.train import fit


def sequences(n: int = 64, steps: int = 6, seed: int = 0) -> Tensors:
    """Sequences of 1..steps valid steps; padded steps hold inputs and labels of noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, steps, 4, generator=g)
    y = (x[..., 0] > 0).long() + (x[..., 1] > 0).long()
    lengths = torch.randint(1, steps + 1, (n,), generator=g)
    return Tensors(x, y, lengths)


def with_noise_in_padding(data: Tensors, seed: int) -> Tensors:
    """The same sequences with other labels at every padded step."""
    noise = torch.randint(0, 3, data.y.shape, generator=torch.Generator().manual_seed(seed))
    assert data.lengths is not None
    padded = torch.arange(data.y.shape[1]) >= data.lengths[:, None]
    return Tensors(data.x, torch.where(padded, noise, data.y), data.lengths)


def test_per_step_loss_is_the_mean_over_valid_steps() -> None:
    data = sequences()
    logits = torch.randn(*data.y.shape, 3)
    assert data.lengths is not None
    valid = torch.arange(data.y.shape[1]) < data.lengths[:, None]
    expected = F.cross_entropy(logits[valid], data.y[valid])
    assert torch.allclose(cross_entropy(logits, data.y, data.lengths), expected)
    # Without lengths every step counts.
    everything = F.cross_entropy(logits.flatten(0, 1), data.y.flatten())
    assert torch.allclose(cross_entropy(logits, data.y), everything)


def test_padded_steps_do_not_change_training_or_metrics() -> None:
    data, other = sequences(), with_noise_in_padding(sequences(), seed=5)
    assert not torch.equal(data.y, other.y)
    results, weights = [], []
    for split in (data, other):
        model = PerStep()
        results.append(
            fit(model, split, split, settings=TrainSettings(max_steps=15, batch_size=16))
        )
        weights.append(model.linear.weight.detach().clone())
        assert model.seen_lengths is not None  # lengths reach the model
    assert torch.equal(weights[0], weights[1])
    assert results[0].metrics == results[1].metrics


def test_evaluate_counts_valid_steps_across_batches() -> None:
    data = sequences(n=50)
    model = PerStep()
    whole = evaluate(model, data, batch_size=1000)
    assert evaluate(model, data, batch_size=7) == pytest.approx(whole)
    assert data.lengths is not None
    valid = torch.arange(data.y.shape[1]) < data.lengths[:, None]
    with torch.no_grad():
        logits = model(data.x)
    correct = (logits.argmax(-1) == data.y)[valid].float().mean()
    assert whole["accuracy"] == pytest.approx(float(correct))
    assert whole["loss"] == pytest.approx(float(F.cross_entropy(logits[valid], data.y[valid])))


def test_evaluate_weighs_examples_equally_and_restores_the_mode(val_split: Tensors) -> None:
    model = mlp(dropout=0.5)
    model.train()
    whole = evaluate(model, val_split, batch_size=1000)
    assert evaluate(model, val_split, batch_size=7) == pytest.approx(whole)
    assert model.training
    with torch.no_grad():
        model.eval()
        logits = model(val_split.x)
    assert whole["loss"] == pytest.approx(float(F.cross_entropy(logits, val_split.y)))


@pytest.mark.parametrize(
    ("split", "message"),
    [
        (Tensors(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long)), "y must be int64"),
        (Tensors(torch.zeros(4, 3), torch.zeros(4, dtype=torch.float64)), "or float32 targets"),
        (Tensors(torch.zeros(4, 3), torch.zeros(4, 2)), "float32 targets of shape N"),
        (Tensors(torch.zeros(4, 3), torch.zeros(4)), r"one number per example \(N, 1\)"),
        (Tensors(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)), "non-empty x"),
        (
            Tensors(torch.zeros(4, 3, dtype=torch.long), torch.zeros(4, dtype=torch.long)),
            "floating",
        ),
        (
            Tensors(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.ones(3)),
            "lengths must be int64 of shape",
        ),
    ],
)
def test_bad_splits_raise_data_errors(split: Tensors, message: str) -> None:
    with pytest.raises(DataError, match=message):
        evaluate(mlp(features=3), split)


def test_labels_that_do_not_fit_the_logits_raise() -> None:
    with pytest.raises(DataError, match="expected N labels for N, C logits"):
        cross_entropy(torch.zeros(4, 3), torch.zeros(4, 2, dtype=torch.long))
    with pytest.raises(DataError, match="N, T labels for N, T, C logits"):
        cross_entropy(torch.zeros(4, 2, 3), torch.zeros(4, dtype=torch.long))
