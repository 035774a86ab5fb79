"""The ``mnist1d`` data set: MNIST-1D generated offline, as published (4000 + 1000).

``mnist1d.data.make_dataset(get_dataset_args())`` builds the data set in about 2 s with
no network; its ``get_dataset`` downloads and is never called (docs/library_notes.md,
"Bundled data sets"). The generator reseeds numpy's and ``random``'s global RNGs, so
their states are saved and restored around it; the arrays are cached for the rest of the
process. The validation split is carved from the 4000 training examples (stratified,
seeded); the published 1000 test examples are the test split.
"""

from __future__ import annotations

import functools
import random

import numpy as np

from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._files import require
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_fraction
from torchsearch.data._provider import check_seed
from torchsearch.data._records import DataSplits

__all__ = ["Mnist1dProvider"]

CLASS_NAMES = tuple(str(d) for d in range(10))


class Mnist1dProvider(DataProvider):
    """MNIST-1D: 40-step signals of the digits 0-9 (natural spec: flat ``(40,)``).

    ``DataSplits.to_kind("sequence")`` gives 40 steps of one feature for ``space=rnn_last``;
    ``to_kind("image")`` gives a one-pixel-high strip ``(1, 1, 40)``, on which the CNN
    blocks act as 1-D convolutions (``space=cnn``).

    Args:
        validation_fraction: the share of each class of the 4000 training examples
            carved for validation (selection).
        seed: the seed of that carving.
    """

    name = "mnist1d"

    def __init__(self, validation_fraction: float = 0.2, seed: int = 0) -> None:
        self.validation_fraction = check_fraction(
            "mnist1d", "validation_fraction", validation_fraction
        )
        self.seed = check_seed("mnist1d", seed)

    def load(self) -> DataSplits:
        """Train and validation from the 4000, test the published 1000 (report only)."""
        x, y, x_test, y_test = _generate()
        return assemble(
            "mnist1d",
            TensorSpec.flat(x.shape[1]),
            RawPart(x, y, "the MNIST-1D training set", lambda i: f"example {i}"),
            test=RawPart(x_test, y_test, "the MNIST-1D test set", lambda i: f"example {i}"),
            validation_fraction=self.validation_fraction,
            test_fraction=0.5,  # unused: the test split is given
            seed=self.seed,
            class_names=CLASS_NAMES,
            image_shape=(1, 1, x.shape[1]),
        )


@functools.lru_cache(maxsize=1)
def _generate() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    data = require("mnist1d.data", "mnist1d", dataset="mnist1d")
    numpy_state, random_state = np.random.get_state(), random.getstate()
    try:
        made = data.make_dataset(data.get_dataset_args())
    finally:  # make_dataset reseeds both global RNGs; leave the caller's untouched
        np.random.set_state(numpy_state)
        random.setstate(random_state)
    arrays = (
        made["x"].astype(np.float32),
        made["y"].astype(np.int64),
        made["x_test"].astype(np.float32),
        made["y_test"].astype(np.int64),
    )
    for array in arrays:
        array.setflags(write=False)  # shared by every load in this process
    return arrays
