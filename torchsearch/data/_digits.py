"""The ``digits`` data set: scikit-learn's bundled 8x8 handwritten digits, offline.

1797 grayscale images of the digits 0-9 with values 0..16, read from the copy shipped
inside scikit-learn (``load_digits``; no download), scaled to [0, 1] and split
stratified and seeded: by default 60 % train, 20 % validation, 20 % test.
"""

from __future__ import annotations

import functools

import numpy as np

from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._files import require
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_split_settings
from torchsearch.data._records import DataSplits

__all__ = ["DigitsProvider"]

CLASS_NAMES = tuple(str(d) for d in range(10))
PIXEL_MAX = 16.0
"""The digits' pixels are 0-16 (scikit-learn's 8x8 digits); models see them divided by this."""


class DigitsProvider(DataProvider):
    """scikit-learn's 8x8 digits (natural spec: image ``(1, 8, 8)``, 10 classes).

    Args:
        validation_fraction: the share of each class for validation (selection).
        test_fraction: the share of each class for test (the final report only).
        seed: the seed of the split.
    """

    name = "digits"

    def __init__(
        self, validation_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0
    ) -> None:
        self.validation_fraction, self.test_fraction, self.seed = check_split_settings(
            "digits", validation_fraction, test_fraction, seed
        )

    def load(self) -> DataSplits:
        """The 1797 images split three ways; validation is for selection, test for the report."""
        x, y = _digits()
        return assemble(
            "digits",
            TensorSpec.image(1, 8, 8),
            RawPart(x, y, "the digits", lambda i: f"image {i}"),
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            class_names=CLASS_NAMES,
            scale=PIXEL_MAX,  # inside the exported model too: it takes raw pixels
        )


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    datasets = require("sklearn.datasets", "scikit-learn", dataset="digits")
    x, y = datasets.load_digits(return_X_y=True)
    images = x.astype(np.float32).reshape(-1, 1, 8, 8)
    labels = y.astype(np.int64)
    images.setflags(write=False)  # shared by every load in this process
    labels.setflags(write=False)
    return images, labels
