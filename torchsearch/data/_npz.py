"""The ``npz`` data set: arrays saved with ``numpy.savez``, in any of the three layouts.

The array's rank gives the layout: 2-D ``(N, F)`` is flat, 3-D ``(N, T, F)`` a sequence
(with optional per-example ``lengths``, and labels ``(N,)`` or one per step ``(N, T)``,
for ``space=rnn_all``) and 4-D ``(N, C, H, W)`` an image batch. Given
``x_val``/``y_val`` or ``x_test``/``y_test`` arrays are used as they are; missing ones
are carved out of ``x``/``y``, stratified and seeded. Files are opened with
``allow_pickle=False``: an ``.npz`` can hold no code.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from torchsearch._errors import DataError
from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._files import readable_file
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_image_shape
from torchsearch.data._provider import check_split_settings
from torchsearch.data._provider import check_task
from torchsearch.data._records import NOT_FINITE_FIX
from torchsearch.data._records import DataSplits

__all__ = ["NpzProvider"]

_SUFFIX = {"validation": "_val", "test": "_test"}


class NpzProvider(DataProvider):
    """Reads ``x``/``y`` arrays (and optional validation, test and lengths arrays).

    Args:
        path: the ``.npz`` file.
        x: the key of the training inputs.
        y: the key of the training labels (numbers or strings).
        lengths: the key of the training sequences' valid steps, used when present.
        x_val: the key of validation inputs; default ``<x>_val`` when present. Naming a
            key makes it required. ``y_val``, ``lengths_val`` and the ``_test`` keys
            work the same way.
        y_val: see ``x_val``.
        lengths_val: see ``x_val``.
        x_test: see ``x_val``.
        y_test: see ``x_val``.
        lengths_test: see ``x_val``.
        validation_fraction: the share of each class carved from ``x`` for validation
            when the file has no validation arrays.
        test_fraction: the same for test.
        seed: the seed of the carving.
        standardize: scale each input value by the training split's mean and std.
        image_shape: ``[C, H, W]`` when flat inputs are pixels.
        task: ``classification`` (``y`` holds classes) or ``regression`` (``y`` holds the
            number to predict, one per example).
    """

    name = "npz"

    def __init__(
        self,
        path: str,
        x: str = "x",
        y: str = "y",
        lengths: str = "lengths",
        x_val: str | None = None,
        y_val: str | None = None,
        lengths_val: str | None = None,
        x_test: str | None = None,
        y_test: str | None = None,
        lengths_test: str | None = None,
        validation_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
        standardize: bool = False,
        image_shape: Sequence[int] | None = None,
        task: str = "classification",
    ) -> None:
        self.path = path
        self.x, self.y, self.lengths = x, y, lengths
        self.x_val, self.y_val, self.lengths_val = x_val, y_val, lengths_val
        self.x_test, self.y_test, self.lengths_test = x_test, y_test, lengths_test
        self.validation_fraction, self.test_fraction, self.seed = check_split_settings(
            "npz", validation_fraction, test_fraction, seed
        )
        self.standardize = bool(standardize)
        self.image_shape = check_image_shape("npz", image_shape)
        self.task = check_task("npz", task)

    def load(self) -> DataSplits:
        """Reads the arrays; the validation split is for selection, test for the report.

        Raises:
            DataError: the file is missing, unreadable or not an ``.npz``, lacks ``x`` or
                ``y``, or its arrays disagree in length or layout.
        """
        file = readable_file(self.path, dataset="npz", setting="path")
        arrays = _read(file)
        source = file.name
        pool = self._part(arrays, source, self.x, self.y, self.lengths, required=True)
        assert pool is not None
        given: dict[str, RawPart | None] = {}
        for part in ("validation", "test"):
            keys = [getattr(self, f"{k}{_SUFFIX[part]}") for k in ("x", "y", "lengths")]
            default = [f"{k}{_SUFFIX[part]}" for k in (self.x, self.y, self.lengths)]
            explicit = any(k is not None for k in keys[:2])
            names = [k if k is not None else d for k, d in zip(keys, default, strict=True)]
            given[part] = self._part(arrays, source, *names, required=explicit)
        spec = _spec(pool, [p for p in given.values() if p is not None], source)
        return assemble(
            "npz",
            spec,
            pool,
            validation=given["validation"],
            test=given["test"],
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            standardize=self.standardize,
            image_shape=self.image_shape,
            task=self.task,
        )

    def _part(
        self,
        arrays: dict[str, np.ndarray],
        source: str,
        x_key: str,
        y_key: str,
        lengths_key: str,
        *,
        required: bool,
    ) -> RawPart | None:
        present = [k in arrays for k in (x_key, y_key)]
        if not any(present) and not required:
            return None
        if not all(present):
            missing = x_key if not present[0] else y_key
            raise DataError(
                f"data=npz: {source} has no array {missing!r} (it holds: "
                f"{', '.join(sorted(arrays)) or 'nothing'}); save inputs and labels in pairs, "
                f"e.g. np.savez(path, {x_key}=inputs, {y_key}=labels), or name the keys with "
                "data.x=... and data.y=...."
            )
        x, y = arrays[x_key], arrays[y_key]
        if x.dtype.kind not in "biuf":
            raise DataError(
                f"data=npz: array {x_key!r} of {source} has dtype {x.dtype}; inputs must be "
                "numbers."
            )
        _check_finite(x, f"array {x_key!r} of {source}")
        if x.ndim not in (2, 3, 4):
            raise DataError(
                f"data=npz: array {x_key!r} of {source} has shape {x.shape}; inputs must be "
                "(N, F) flat, (N, T, F) sequences or (N, C, H, W) images."
            )
        per_step = x.ndim == 3 and y.shape == x.shape[:2]
        if not per_step and (y.ndim != 1 or len(y) != len(x)):
            raise DataError(
                f"data=npz: {source} has {len(x)} examples in {x_key!r} but labels of shape "
                f"{y.shape} in {y_key!r}; give exactly one label per example, or for "
                "(N, T, F) sequences one per step, (N, T)."
            )
        lengths = arrays.get(lengths_key) if x.ndim == 3 else None
        if lengths is not None:
            lengths = _check_lengths(lengths, x, lengths_key, source)
        where = f"{x_key}/{y_key} of {source}"
        return RawPart(x, y, where, lambda i: f"index {i}", lengths)


def _check_finite(x: np.ndarray, where: str) -> None:
    """Refuses NaN and infinities, naming the first example that has one."""
    if x.dtype.kind != "f":
        return
    bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
    if bad.size:
        value = x[int(bad[0])].reshape(-1)[~np.isfinite(x[int(bad[0])].reshape(-1))][0]
        raise DataError(f"data=npz: {where} has {value} at index {int(bad[0])}; {NOT_FINITE_FIX}")


def _read(file: Path) -> dict[str, np.ndarray]:
    try:
        data = np.load(file, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise DataError(
                f"data=npz: {file.name} is a single .npy array; save inputs and labels "
                "together with np.savez(path, x=inputs, y=labels)."
            )
        with data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as exc:
        hint = " (it holds Python objects)" if "allow_pickle" in str(exc) else ""
        raise DataError(
            f"data=npz: {file.name} is not a NumPy .npz archive of numeric or text arrays"
            f"{hint}; save one with np.savez(path, x=inputs, y=labels)."
        ) from None


def _check_lengths(lengths: np.ndarray, x: np.ndarray, key: str, source: str) -> np.ndarray:
    steps = x.shape[1]
    if (
        lengths.shape != (len(x),)
        or lengths.dtype.kind not in "iu"
        or (len(lengths) and (lengths.min() < 1 or lengths.max() > steps))
    ):
        raise DataError(
            f"data=npz: array {key!r} of {source} must hold one integer in 1..{steps} per "
            f"sequence ({len(x)} of them), got shape {lengths.shape} and dtype {lengths.dtype}."
        )
    return lengths


def _spec(pool: RawPart, given: list[RawPart], source: str) -> TensorSpec:
    shape = pool.x.shape[1:]
    for part in given:
        other = part.x.shape[1:]
        fixed = other[1:] if pool.x.ndim == 3 else other
        if len(other) != len(shape) or fixed != (shape[1:] if pool.x.ndim == 3 else shape):
            raise DataError(
                f"data=npz: {part.source} has examples of shape {other}, but the training "
                f"inputs of {source} have {shape}; give every split the same layout."
            )
    if pool.x.ndim == 2:
        return TensorSpec.flat(shape[0])
    if pool.x.ndim == 4:
        return TensorSpec.image(*shape)
    parts = [pool, *given]
    fixed_steps = all(p.x.shape[1] == shape[0] for p in parts) and all(
        p.lengths is None or bool((p.lengths == p.x.shape[1]).all()) for p in parts
    )
    return TensorSpec.sequence(shape[1], steps=shape[0] if fixed_steps else None)
