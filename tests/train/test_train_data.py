"""Batches: fresh permutations per epoch, exact DDP shards, in-order worker loading."""

from __future__ import annotations

import torch
from train_helpers import Tensors
from train_helpers import separable

from torchsearch.train import Batches


def ids(n: int) -> Tensors:
    """A split whose only feature is the example's index."""
    return Tensors(torch.arange(n, dtype=torch.float32)[:, None], torch.zeros(n, dtype=torch.long))


def test_every_epoch_is_a_new_permutation_of_all_examples() -> None:
    batches = Batches(ids(10), batch_size=4, seed=0)
    epochs = [torch.cat([b.x[:, 0] for b in batches]) for _ in range(3)]
    assert [len(b.x) for b in batches] == [4, 4, 2]
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(10))
    assert not torch.equal(epochs[0], epochs[1])
    again = Batches(ids(10), batch_size=4, seed=0)
    assert torch.equal(torch.cat([b.x[:, 0] for b in again]), epochs[0])


def test_a_last_batch_of_one_example_is_dropped() -> None:
    assert [len(b.x) for b in Batches(ids(9), batch_size=4, seed=0)] == [4, 4]
    assert [len(b.x) for b in Batches(ids(1), batch_size=4, seed=0)] == [1]


def test_ddp_shards_split_one_permutation_evenly() -> None:
    shards = [Batches(ids(11), batch_size=2, seed=3, rank=r, world_size=3) for r in range(3)]
    assert {len(s) for s in shards} == {2}  # 4 examples a rank, wrapped around
    seen = [torch.cat([b.x[:, 0] for b in s]).long().tolist() for s in shards]
    assert all(len(s) == 4 for s in seen)
    assert {i for shard in seen for i in shard} == set(range(11))


def test_worker_loader_yields_the_same_batches() -> None:
    data = separable(50)
    data.lengths = torch.arange(50)
    direct = list(Batches(data, batch_size=16, seed=4))
    loaded = list(Batches(data, batch_size=16, seed=4).loader(num_workers=1, pin_memory=False))
    assert len(direct) == len(loaded) == 4
    for a, b in zip(direct, loaded, strict=True):
        assert all(torch.equal(s, t) for s, t in zip(a, b, strict=True))
