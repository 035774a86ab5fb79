"""The ``random_walk`` data set: a sequence task generated offline, for the RNN spaces.

Each sequence is a random walk of 10 to ``max_steps`` Gaussian steps (one feature per
step, padded with zeros to ``max_steps``, with its length). The label of a step is
whether the walk so far is above zero: a sequence model must carry the running sum, which
no single step shows. With ``per_step: true`` (``space=rnn_all``) every step has its
label; with ``per_step: false`` (``space=rnn_last``) a sequence has the label of its last
step. Generated from the seed in milliseconds, so it needs no download and no file.
"""

from __future__ import annotations

import numpy as np

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_split_settings
from torchsearch.data._records import DataSplits

__all__ = ["RandomWalkProvider"]

CLASS_NAMES = ("at or below zero", "above zero")
MIN_STEPS = 10


class RandomWalkProvider(DataProvider):
    """Random walks labelled by the sign of their running sum (natural spec: sequences
    of ``max_steps`` steps x 1 feature, with lengths; 2 classes).

    Args:
        examples: how many sequences in all, before the split.
        max_steps: the longest sequence (the padded length), at least 10.
        per_step: a label per step (``rnn_all``), or the last step's (``rnn_last``).
        validation_fraction: the share of sequences for validation (selection).
        test_fraction: the share of sequences for test (the final report only).
        seed: the seed of the walks and of the split.
    """

    name = "random_walk"

    def __init__(
        self,
        examples: int = 2000,
        max_steps: int = 40,
        per_step: bool = True,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        seed: int = 0,
    ) -> None:
        for key, value, least in (("examples", examples, 20), ("max_steps", max_steps, 10)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(
                    f"data.{key} must be an integer of at least {least}, got {value!r}."
                )
        if not isinstance(per_step, bool):
            raise ConfigError(f"data.per_step must be true or false, got {per_step!r}.")
        self.examples, self.max_steps, self.per_step = examples, max_steps, per_step
        self.validation_fraction, self.test_fraction, self.seed = check_split_settings(
            "random_walk", validation_fraction, test_fraction, seed
        )

    def load(self) -> DataSplits:
        """The walks, split three ways at random (seeded)."""
        rng = np.random.default_rng(self.seed)
        lengths = rng.integers(MIN_STEPS, self.max_steps + 1, size=self.examples)
        valid = np.arange(self.max_steps)[None, :] < lengths[:, None]
        steps = rng.standard_normal((self.examples, self.max_steps)) * valid
        above = (np.cumsum(steps, axis=1) > 0).astype(np.int64) * valid
        labels = above if self.per_step else above[np.arange(self.examples), lengths - 1]
        x = steps[:, :, None].astype(np.float32)
        return assemble(
            "random_walk",
            TensorSpec.sequence(1, self.max_steps),
            RawPart(x, labels, "the walks", lambda i: f"walk {i}", lengths),
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            class_names=CLASS_NAMES,
        )
