"""The ``diabetes`` data set: scikit-learn's bundled diabetes regression set, offline.

442 patients, 10 baseline measurements each (age, sex, body mass index, mean blood
pressure and six blood serum measurements) and the target to predict: a measure of the
disease's progression one year later (25 to 346). Read unscaled from the copy shipped
inside scikit-learn (``load_diabetes``; no download), split at random and seeded (60 %
train, 20 % validation, 20 % test by default), features standardised with the training
split's statistics (inside the exported model too: it takes the raw measurements).
"""

from __future__ import annotations

import functools

import numpy as np

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._files import require
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_split_settings
from torchsearch.data._records import DataSplits

__all__ = ["DiabetesProvider"]


class DiabetesProvider(DataProvider):
    """scikit-learn's diabetes set (natural spec: flat ``(10,)``, a numeric target).

    Args:
        validation_fraction: the share carved for validation (selection).
        test_fraction: the share carved for test (the final report only).
        seed: the seed of the split.
        task: ``regression``, the only task this data set has (the setting exists so
            that the config says what the data is).
    """

    name = "diabetes"

    def __init__(
        self,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        seed: int = 0,
        task: str = "regression",
    ) -> None:
        self.validation_fraction, self.test_fraction, self.seed = check_split_settings(
            "diabetes", validation_fraction, test_fraction, seed
        )
        if task != "regression":
            raise ConfigError(
                f"data=diabetes: its target is a number, so task must be regression, got "
                f"{task!r}; for classification choose a data set of class labels (data=digits)."
            )
        self.task = task

    def load(self) -> DataSplits:
        """The 442 patients split three ways; validation is for selection, test for the report."""
        x, y, names = _diabetes()
        return assemble(
            "diabetes",
            TensorSpec.flat(x.shape[1]),
            RawPart(x, y, "the diabetes data", lambda i: f"patient {i}"),
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            standardize=True,
            feature_names=names,
            task="regression",
        )


@functools.lru_cache(maxsize=1)
def _diabetes() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    datasets = require("sklearn.datasets", "scikit-learn", dataset="diabetes")
    bunch = datasets.load_diabetes(scaled=False)
    x = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.float64)
    x.setflags(write=False)  # shared by every load in this process
    y.setflags(write=False)
    return x, y, tuple(str(n) for n in bunch.feature_names)
