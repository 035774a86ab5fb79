"""``torchsearch replay KEY=VALUE ...``: the short form of the ``replay.*`` overrides."""

from __future__ import annotations

import pytest

from torchsearch._cli import expand_replay


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["data=csv", "seed=3"], ["data=csv", "seed=3"]),  # no replay: untouched
        (["replay", "trial=3"], ["replay.trial=3"]),
        (["replay"], ["replay.trial=best"]),
        (
            [
                "hydra.run.dir=x",
                "replay",
                "trial=2",
                "seed=1",
                "steps=9",
                "replicas=3",
                "data=npz",
            ],
            [
                "hydra.run.dir=x",
                "replay.trial=2",
                "replay.seed=1",
                "replay.steps=9",
                "replay.replicas=3",
                "data=npz",
            ],
        ),
        (["replay", "replicas=3"], ["replay.replicas=3", "replay.trial=best"]),
        (["replay", "replay.trial=4"], ["replay.trial=4"]),
    ],
)
def test_replay_words_become_replay_overrides(args: list[str], expected: list[str]) -> None:
    assert expand_replay(args) == expected
