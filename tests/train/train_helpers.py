"""Tiny problems shared by the training tests: separable classes and per-step labels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Tensors:
    """A split as the data part provides it: ``x``, ``y`` and ``lengths``."""

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None = None


def separable(n: int, features: int = 8, classes: int = 3, seed: int = 0) -> Tensors:
    """``n`` examples whose class is the argmax of a fixed linear map of ``x``."""
    generator = torch.Generator().manual_seed(seed)
    weights = torch.randn(features, classes, generator=torch.Generator().manual_seed(99))
    x = torch.randn(n, features, generator=generator)
    return Tensors(x, (x @ weights).argmax(1))


def mlp(features: int = 8, classes: int = 3, seed: int = 0, dropout: float = 0.0) -> nn.Module:
    """A small MLP with seeded initial weights."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(features, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, classes)
    )


class PerStep(nn.Module):
    """Logits ``N, T, C`` from ``N, T, F`` inputs, one linear map per step."""

    def __init__(self, features: int = 4, classes: int = 3) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(features, classes)
        self.seen_lengths: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        self.seen_lengths = lengths
        return self.linear(x)
