"""The bundled sequence task: random walks labelled by the sign of their running sum."""

from __future__ import annotations

import pytest
import torch

from torchsearch import ConfigError
from torchsearch import TensorSpec
from torchsearch.data import RandomWalkProvider


def test_a_label_per_step_is_the_sign_of_the_walk_so_far() -> None:
    data = RandomWalkProvider(examples=100, max_steps=20, seed=3).load()
    assert data.per_step and data.input_spec == TensorSpec.sequence(1, steps=20)
    split = data.train
    assert split.lengths is not None and int(split.lengths.min()) >= 10
    valid = torch.arange(20)[None, :] < split.lengths[:, None]
    expected = (split.x[..., 0].cumsum(dim=1) > 0).long() * valid
    assert torch.equal(split.y, expected)
    assert float(split.x[~valid].abs().sum()) == 0.0  # padded with zeros


def test_the_last_steps_label_for_rnn_last() -> None:
    data = RandomWalkProvider(examples=100, seed=3, per_step=False).load()
    assert not data.per_step and data.train.y.shape == (60,)
    split = data.train
    # Padding is zero, so the whole sum is the walk at its last step.
    assert torch.equal(split.y, (split.x[..., 0].sum(dim=1) > 0).long())


def test_the_same_seed_gives_the_same_walks() -> None:
    first, again = (RandomWalkProvider(examples=50, seed=1).load() for _ in range(2))
    assert torch.equal(first.test.x, again.test.x)


@pytest.mark.parametrize(
    "settings", [{"examples": 5}, {"max_steps": 3}, {"per_step": "yes"}, {"examples": 2.5}]
)
def test_bad_settings_are_one_line(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as info:
        RandomWalkProvider(**settings)  # type: ignore[arg-type]
    assert "\n" not in str(info.value) and "data." in str(info.value)
