"""Splits as in-memory tensors, and a lean iterator over their shuffled batches.

A split is anything with ``x``, ``y`` and ``lengths`` tensors (:class:`Split`); the data
part provides them, and this part never imports it. Batches are sliced straight from the
tensors with a fresh index permutation per epoch: for the tiny data sets of a search this
is several times cheaper per step than ``DataLoader`` over a ``TensorDataset``, which
fetches and collates example by example.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple
from typing import Protocol

import torch
from torch.utils.data import DataLoader

from torchsearch._errors import DataError

__all__ = ["Batch", "Batches", "Split", "check_split"]


class Split(Protocol):
    """What training and evaluation read from a data split.

    Attributes:
        x: the inputs, float32, examples first.
        y: int64 class indices, shape ``N`` or, for a label per step, ``N, T``; or
            float32 targets of shape ``N`` (regression; a ``y_scale`` attribute, when
            there is one, gives the target's units per unit of ``y`` for the metrics).
        lengths: the number of valid steps of each sequence (int64, shape ``N``), or None.
    """

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None


class Batch(NamedTuple):
    """One batch; Lightning moves it to the device like any named tuple."""

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None


def check_split(name: str, split: Split) -> None:
    """Checks the shapes and dtypes of ``split``.

    Raises:
        DataError: naming the split and what is wrong with it.
    """
    x, y, lengths = split.x, split.y, split.lengths
    if x.ndim < 2 or len(x) == 0:
        raise DataError(
            f"The {name} split needs a non-empty x of shape N, ..., got {tuple(x.shape)}."
        )
    if not x.is_floating_point():
        raise DataError(f"The {name} split's x must be floating point, got {x.dtype}.")
    regression = y.dtype == torch.float32 and y.ndim == 1
    if (not regression and (y.dtype != torch.int64 or y.ndim not in (1, 2))) or len(y) != len(x):
        raise DataError(
            f"The {name} split's y must be int64 class indices of shape N or N, T, or "
            f"float32 targets of shape N, with N = {len(x)}, got {y.dtype} of shape "
            f"{tuple(y.shape)}."
        )
    if lengths is not None and (lengths.dtype != torch.int64 or lengths.shape != (len(x),)):
        raise DataError(
            f"The {name} split's lengths must be int64 of shape ({len(x)},), got "
            f"{lengths.dtype} of shape {tuple(lengths.shape)}."
        )


class Batches:
    """Shuffled training batches of a split, a new permutation each time it is iterated.

    Under DDP each process takes every ``world_size``-th example of the same permutation,
    padded by wrapping around so that all processes run the same number of steps. A last
    batch of a single example is dropped when there are others (BatchNorm cannot train
    on it).

    Args:
        split: the training split.
        batch_size: examples per batch (per process).
        seed: seeds the permutations, independently of the global torch RNG.
        rank: this process's index among ``world_size``.
        world_size: the number of processes sharing the split.
        device: where the split's tensors are copied once; None leaves them in place.
    """

    def __init__(
        self,
        split: Split,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        device: torch.device | None = None,
    ) -> None:
        self.x, self.y, self.lengths = (
            t if t is None or device is None else t.to(device)
            for t in (split.x, split.y, split.lengths)
        )
        self.batch_size = batch_size
        self.rank, self.world_size = rank, world_size
        self.generator = torch.Generator().manual_seed(seed)
        n = -(-len(self.x) // world_size)  # examples per process
        self.bounds = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
        if len(self.bounds) > 1 and self.bounds[-1][1] - self.bounds[-1][0] == 1:
            self.bounds.pop()

    def __len__(self) -> int:
        return len(self.bounds)

    def __iter__(self) -> Iterator[Batch]:
        index = self._indices().to(self.x.device)
        x, y, lengths = self.x, self.y, self.lengths
        for start, stop in self.bounds:
            i = index[start:stop]
            yield Batch(x[i], y[i], None if lengths is None else lengths[i])

    def loader(self, num_workers: int, pin_memory: bool) -> DataLoader[Batch]:
        """The same batches, in the same order, fetched by ``num_workers`` processes."""
        return DataLoader(
            _Indexed(self),
            batch_sampler=_IndexBatches(self),
            num_workers=num_workers,
            collate_fn=_first,
            pin_memory=pin_memory,
        )

    def _indices(self) -> torch.Tensor:
        index = torch.randperm(len(self.x), generator=self.generator)
        if self.world_size > 1:
            padded = -(-len(index) // self.world_size) * self.world_size
            index = index.repeat(-(-padded // len(index)))[:padded]
            index = index[self.rank :: self.world_size]
        return index


class _IndexBatches:
    """The index tensor of each batch, for a ``DataLoader``'s ``batch_sampler``."""

    def __init__(self, batches: Batches) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[list[torch.Tensor]]:
        index = self.batches._indices()
        for start, stop in self.batches.bounds:
            yield [index[start:stop]]


class _Indexed(torch.utils.data.Dataset[Batch]):
    """Fetches a whole batch by its index tensor (``__getitems__``), not example by example."""

    def __init__(self, batches: Batches) -> None:
        self.x, self.y, self.lengths = batches.x, batches.y, batches.lengths

    def __getitems__(self, indices: list[torch.Tensor]) -> list[Batch]:
        i = indices[0]
        return [Batch(self.x[i], self.y[i], None if self.lengths is None else self.lengths[i])]

    def __getitem__(self, index: int) -> Batch:  # pragma: no cover - __getitems__ is used
        raise NotImplementedError


def _first(batch: list[Batch]) -> Batch:
    return batch[0]
