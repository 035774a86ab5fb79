"""From arrays read by a provider to a :class:`DataSplits`: labels, splits, scaling, tensors.

Every provider ends the same way: encode the labels, use a given validation or test set
as it is or carve it out of the pool (stratified, seeded), optionally standardise with
statistics of the training split only, and hand over float32/int64 tensors. Doing it in
one place keeps the providers to reading their format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._labels import Locate
from torchsearch.data._labels import check_classes
from torchsearch.data._labels import encode_labels
from torchsearch.data._labels import encode_with
from torchsearch.data._records import DataSplits
from torchsearch.data._records import Split
from torchsearch.data._records import Standardization
from torchsearch.data._split import stratified_split
from torchsearch.data._targets import read_targets
from torchsearch.data._targets import target_scaling

__all__ = ["RawPart", "assemble"]


@dataclass(frozen=True)
class RawPart:
    """One set of examples as a provider read it, before its labels are encoded.

    Args:
        x: inputs in the provider's natural layout, batch first, numeric.
        labels: one label per example (numbers or strings), or ``(N, T)``: one per step
            of each sequence.
        source: what the examples come from, for messages (``"train.csv"``).
        locate: describes where the ``i``-th example sits (``"row 7"``), for messages.
        lengths: valid steps of each sequence, if any.
    """

    x: np.ndarray
    labels: np.ndarray
    source: str
    locate: Locate
    lengths: np.ndarray | None = None


def assemble(
    dataset: str,
    spec: TensorSpec,
    pool: RawPart,
    *,
    validation: RawPart | None = None,
    test: RawPart | None = None,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    class_names: Sequence[str] | None = None,
    standardize: bool = False,
    scale: float | None = None,
    image_shape: Sequence[int] | None = None,
    feature_names: Sequence[str] | None = None,
    task: str = "classification",
) -> DataSplits:
    """Builds the splits of a data set.

    Args:
        dataset: the data set's name (``data=<name>``).
        spec: the natural layout of every part's ``x``.
        pool: the training examples, out of which missing parts are carved.
        validation: a separate validation set, used as given; else carved from the pool.
        test: a separate test set, used as given; else carved from the pool.
        validation_fraction: the share of each class of the pool carved for validation.
        test_fraction: the share of each class of the pool carved for test.
        seed: the seed of the carving.
        class_names: the classes' names when every part's labels are already indices
            ``0..C-1``; by default labels are encoded (see ``encode_labels``).
        standardize: scale each feature by the training split's mean and std.
        scale: divide every value by this constant instead (e.g. 16 for pixels 0-16),
            so that raw inputs stay raw and the exported model scales them itself.
        image_shape: the declared ``(C, H, W)`` of flat or sequence data.
        feature_names: names of the features, if known.
        task: ``regression`` reads the labels as numeric targets (one per example),
            carves the parts at random instead of by class and standardises the targets
            with the training split's statistics.

    Returns:
        The splits in the natural layout.

    Raises:
        DataError: labels, class sizes or shapes make the data unusable.
    """
    if task == "regression":
        return _assemble_regression(
            dataset,
            spec,
            pool,
            validation=validation,
            test=test,
            fractions=(validation_fraction, test_fraction),
            seed=seed,
            standardize=standardize,
            image_shape=image_shape,
            feature_names=feature_names,
        )
    encoded = class_names is None
    if class_names is None:
        valid = _valid_steps(pool)
        y_valid, class_names = encode_labels(
            pool.labels[valid], dataset=dataset, source=pool.source, locate=pool.locate
        )
        y_pool = _place(y_valid, valid, pool.labels.shape)
    else:
        y_pool = np.asarray(pool.labels, dtype=np.int64)
        present = np.unique(y_pool)
        check_classes([class_names[c] for c in present], dataset=dataset, source=pool.source)
    options = (("validation", validation_fraction, validation), ("test", test_fraction, test))
    carve = [(name, fraction) for name, fraction, given in options if given is None]
    # Labels per step have no one class per sequence: those sequences are split at random
    # (seeded), as one stratum.
    per_step = y_pool.ndim == 2
    parts = _carve(
        pool,
        y_pool,
        carve,
        seed,
        dataset,
        strata=None if per_step else (y_pool, class_names),
        one_stratum="sequences",
    )
    for name, given in (("validation", validation), ("test", test)):
        if given is not None:
            if encoded:
                valid = _valid_steps(given)
                y_valid = encode_with(
                    given.labels[valid],
                    class_names,
                    dataset=dataset,
                    source=given.source,
                    locate=given.locate,
                )
                y = _place(y_valid, valid, given.labels.shape)
            else:
                y = np.asarray(given.labels, dtype=np.int64)
            parts[name] = (given.x, y, given.lengths)
    scaling = _standardization(parts["train"][0]) if standardize else None
    if scale is not None:
        scaling = Standardization(torch.zeros(()), torch.tensor(float(scale)))
    splits = {name: _to_split(*arrays, scaling) for name, arrays in parts.items()}
    return DataSplits(
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        input_spec=spec,
        num_classes=len(class_names),
        name=dataset,
        class_names=tuple(class_names),
        image_shape=tuple(image_shape) if image_shape is not None else None,  # type: ignore[arg-type]
        standardization=scaling,
        feature_names=tuple(feature_names) if feature_names is not None else None,
    )


_Arrays = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def _assemble_regression(
    dataset: str,
    spec: TensorSpec,
    pool: RawPart,
    *,
    validation: RawPart | None,
    test: RawPart | None,
    fractions: tuple[float, float],
    seed: int,
    standardize: bool,
    image_shape: Sequence[int] | None,
    feature_names: Sequence[str] | None,
) -> DataSplits:
    """:func:`assemble` for numeric targets: seeded random parts, standardised targets."""

    def targets(part: RawPart) -> np.ndarray:
        return read_targets(part.labels, dataset=dataset, source=part.source, locate=part.locate)

    y_pool = targets(pool)
    given = {"validation": validation, "test": test}
    carve = [(name, f) for name, f in zip(given, fractions, strict=True) if given[name] is None]
    parts = _carve(pool, y_pool, carve, seed, dataset, strata=None, one_stratum="examples")
    for name, part in given.items():
        if part is not None:
            parts[name] = (part.x, targets(part), part.lengths)
    scaling = _standardization(parts["train"][0]) if standardize else None
    target = target_scaling(parts["train"][1])
    mean, std = float(target.mean), float(target.std)
    splits = {
        name: _to_split(x, (y - mean) / std, lengths, scaling, y_scale=std)
        for name, (x, y, lengths) in parts.items()
    }
    return DataSplits(
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        input_spec=spec,
        num_classes=0,
        name=dataset,
        image_shape=tuple(image_shape) if image_shape is not None else None,  # type: ignore[arg-type]
        standardization=scaling,
        feature_names=tuple(feature_names) if feature_names is not None else None,
        target_scaling=target,
    )


def _carve(
    pool: RawPart,
    y: np.ndarray,
    carve: Sequence[tuple[str, float]],
    seed: int,
    dataset: str,
    *,
    strata: tuple[np.ndarray, Sequence[str]] | None,
    one_stratum: str,
) -> dict[str, _Arrays]:
    """The training part of ``pool`` and the ``(name, fraction)`` parts carved out of it,
    seeded: stratified by ``strata`` (class indices and names), or at random (one stratum
    called ``one_stratum`` in messages) when it is None."""
    classes, names = strata if strata is not None else (np.zeros(len(y), np.int64), [one_stratum])
    indices = stratified_split(
        classes,
        [f for _, f in carve],
        seed,
        class_names=names,
        part_names=[name for name, _ in carve],
        dataset=dataset,
        source=pool.source,
    )
    parts = {"train": _take(pool, y, indices[0])}
    for (name, _), index in zip(carve, indices[1:], strict=True):
        parts[name] = _take(pool, y, index)
    return parts


def _valid_steps(part: RawPart) -> np.ndarray:
    """Which labels count: all of one label per example; of a label per step, the steps
    within each sequence's length (padding may hold anything)."""
    labels = np.asarray(part.labels)
    if labels.ndim == 1 or part.lengths is None:
        return np.ones(labels.shape, dtype=bool)
    return np.arange(labels.shape[1])[None, :] < np.asarray(part.lengths)[:, None]


def _place(encoded: np.ndarray, valid: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Class indices in the labels' shape; padded steps get class 0 (never scored)."""
    out = np.zeros(shape, dtype=np.int64)
    out[valid] = encoded
    return out


def _take(pool: RawPart, y: np.ndarray, index: np.ndarray) -> _Arrays:
    lengths = pool.lengths[index] if pool.lengths is not None else None
    return pool.x[index], y[index], lengths


def _standardization(x: np.ndarray) -> Standardization:
    mean = x.mean(axis=0, dtype=np.float64)
    std = x.std(axis=0, dtype=np.float64)
    std[std < 1e-12] = 1.0  # a constant feature stays centred, not divided by zero
    return Standardization(
        torch.from_numpy(mean.astype(np.float32)), torch.from_numpy(std.astype(np.float32))
    )


def _to_split(
    x: np.ndarray,
    y: np.ndarray,
    lengths: np.ndarray | None,
    scaling: Standardization | None,
    y_scale: float = 1.0,
) -> Split:
    tx = _tensor(x, np.float32)
    if scaling is not None:
        tx = scaling.apply(tx)
    ty = _tensor(y, np.float32 if y.dtype.kind == "f" else np.int64)
    tl = None if lengths is None else _tensor(lengths, np.int64)
    return Split(tx, ty, tl, y_scale)


def _tensor(array: np.ndarray, dtype: type) -> torch.Tensor:
    array = np.ascontiguousarray(array, dtype=dtype)
    return torch.from_numpy(array if array.flags.writeable else array.copy())
