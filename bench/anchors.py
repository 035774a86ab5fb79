"""Hand-designed anchors: the MNIST-1D paper's models, re-implemented in torch.

Greydanus & Kobak, "Scaling down deep learning with MNIST-1D" (notebooks/models.py,
notebooks/train.py): logistic regression, an MLP with two
hidden layers of 100 and a residual connection, a CNN of three Conv1d (25 channels,
kernels 5, 3, 3, stride 2) and Linear(125 -> 10) (5,210 parameters), a bidirectional GRU
(hidden 6) and a linear head. Published MNIST-1D test accuracy: 32%, 68%, 94%, 91%.

Each model is trained twice on the benchmark's own splits (the searches' 3,200 training
examples; the paper trains on all 4,000): with the published recipe in a plain loop
(Adam, lr 1e-2, batch 100, 8000 steps over consecutive slices of the training set in its
order, as ``notebooks/train.py``), and with ``torchsearch.train.fit`` with the same
optimizer, rate, batch size and steps (shuffled batches).

For digits (flat 64 features) the anchors are logistic regression and the MLP.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn

from torchsearch.data import DataSplits
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit

PUBLISHED_MNIST1D = {"linear": 0.32, "mlp": 0.68, "cnn": 0.94, "gru": 0.91}
"""Test accuracy on MNIST-1D in the paper's README table."""
LEARNING_RATE = 1e-2
BATCH_SIZE = 100


class Linear(nn.Module):
    """Logistic regression: one linear layer on the flat input."""

    def __init__(self, features: int, classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(features, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1))


class MLP(nn.Module):
    """Two hidden layers of 100 with a residual around the second (the paper's MLP)."""

    def __init__(self, features: int, classes: int, hidden: int = 100) -> None:
        super().__init__()
        self.linear1 = nn.Linear(features, hidden)
        self.linear2 = nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear1(x.flatten(1)).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)


class CNN(nn.Module):
    """Three Conv1d (25 channels; kernels 5, 3, 3; stride 2; padding 1), Linear(125, 10)."""

    def __init__(self, features: int, classes: int, channels: int = 25) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        length = features
        for kernel in (5, 3, 3):
            length = (length + 2 - kernel) // 2 + 1
        self.linear = nn.Linear(channels * length, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(len(x), 1, -1)
        h = self.conv1(h).relu()
        h = self.conv2(h).relu()
        h = self.conv3(h).relu()
        return self.linear(h.flatten(1))


class GRU(nn.Module):
    """A bidirectional GRU (hidden 6) over the 40 steps, every step's state into a Linear."""

    def __init__(self, features: int, classes: int, hidden: int = 6) -> None:
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(2 * hidden * features, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(x.reshape(len(x), -1, 1))
        return self.linear(h.flatten(1))


MODELS: dict[str, Callable[[int, int], nn.Module]] = {
    "linear": Linear,
    "mlp": MLP,
    "cnn": CNN,
    "gru": GRU,
}


def make(name: str, data: DataSplits, seed: int) -> nn.Module:
    """The anchor ``name`` for ``data``'s flat inputs, initialised from ``seed``."""
    torch.manual_seed(seed)
    return MODELS[name](int(data.train.x[0].numel()), data.num_classes)


def train_published(model: nn.Module, data: DataSplits, steps: int, seed: int) -> float:
    """The paper's recipe: Adam lr 1e-2, batches of 100 sliced in turn from the training
    set (wrapping around, a short last slice included), ``steps`` steps.

    Returns:
        The wall seconds of the loop.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    x, y = data.train.x.flatten(1), data.train.y
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        first = (step * BATCH_SIZE) % len(x)
        index = slice(first, first + BATCH_SIZE)
        loss = nn.functional.cross_entropy(model(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def train_torchsearch(model: nn.Module, data: DataSplits, steps: int, seed: int) -> float:
    """The same optimizer, rate, batch size and steps through ``torchsearch.train.fit``."""
    settings = TrainSettings(
        max_steps=steps, batch_size=BATCH_SIZE, seed=seed, accelerator="cpu", deterministic=True
    )
    hparams = Hyperparameters(learning_rate=LEARNING_RATE, optimizer="adam")
    start = time.perf_counter()
    fit(model, data.train, data.validation, hparams, settings)
    return time.perf_counter() - start


def scores(model: nn.Module, data: DataSplits) -> tuple[float, float]:
    """``(validation accuracy, test accuracy)`` of a trained anchor."""
    return evaluate(model, data.validation)["accuracy"], evaluate(model, data.test)["accuracy"]


def parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
