"""The in-memory records a data provider returns: three splits of tensors and their spec.

Candidates in a search are often tiny, so the data stays as whole ``torch`` tensors in
memory (no per-example ``Dataset`` calls): ``x`` float32 batch-first, ``y`` int64 class
indices. Selection reads the validation split only; the test split is touched once, to
report the chosen model. Model Search's CSV provider evaluated on its training file when
no validation file was given (docs/model_search.md, "Data"); every :class:`DataSplits`
here has a real validation split.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor

from torchsearch._errors import DataError
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._layout import convert_layout
from torchsearch.data._layout import describe_spec
from torchsearch.data._layout import plan_conversion

__all__ = ["NOT_FINITE_FIX", "DataSplits", "Split", "Standardization"]

SPLIT_NAMES = ("train", "validation", "test")


NOT_FINITE_FIX = "fill in or drop missing and infinite values (inputs must be finite numbers)."
"""The fix every provider gives for NaN or infinite inputs."""


@dataclass(frozen=True)
class Split:
    """One part of a data set (train, validation or test) as tensors.

    Inputs are converted to float32 on construction, integer labels to int64 and
    floating-point targets (regression) to float32.

    Args:
        x: inputs, batch first, in the layout of the owning :attr:`DataSplits.input_spec`.
        y: class indices ``0..C-1``, shape ``(N,)``, or ``(N, T)`` for a label per step
            of ``(N, T, F)`` sequences (``rnn_all``; steps past a length are ignored);
            for regression, standardised targets of shape ``(N,)``.
        lengths: valid steps of each sequence, shape ``(N,)``, or ``None`` when every
            step is valid (and for images and flat inputs).
        y_scale: a regression target's standard deviation in its own units: errors are
            reported in those units (``rmse``, ``mae``), not in standardised ones.

    Raises:
        DataError: ``x``, ``y`` and ``lengths`` disagree on the number of examples.
    """

    x: Tensor
    y: Tensor
    lengths: Tensor | None = None
    y_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.x.dtype != torch.float32:
            object.__setattr__(self, "x", self.x.to(torch.float32))
        target = torch.float32 if self.y.is_floating_point() else torch.int64
        if self.y.dtype != target:
            object.__setattr__(self, "y", self.y.to(target))
        if self.y.is_floating_point() and self.y.ndim != 1:
            raise DataError(
                f"Regression targets must have shape (N,), one number per example, got "
                f"{tuple(self.y.shape)}."
            )
        per_step = self.y.ndim == 2 and self.x.ndim == 3 and self.y.shape == self.x.shape[:2]
        if self.y.ndim != 1 and not per_step:
            raise DataError(
                f"Labels must have shape (N,), or (N, T) for (N, T, F) sequences, got "
                f"{tuple(self.y.shape)} for inputs of shape {tuple(self.x.shape)}."
            )
        if self.x.ndim < 2 or self.x.shape[0] != self.y.shape[0]:
            raise DataError(
                f"Inputs of shape {tuple(self.x.shape)} do not match {self.y.shape[0]} labels; "
                "give one label per example."
            )
        if self.lengths is not None:
            if self.lengths.shape != self.y.shape[:1]:
                raise DataError(
                    f"Lengths of shape {tuple(self.lengths.shape)} do not match "
                    f"{self.y.shape[0]} labels; give one length per sequence."
                )
            if self.lengths.dtype != torch.int64:
                object.__setattr__(self, "lengths", self.lengths.to(torch.int64))

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def per_step(self) -> bool:
        """Whether there is a label per step of each sequence (``rnn_all``)."""
        return self.y.ndim == 2

    def convert(self, source: TensorSpec, target: TensorSpec) -> Split:
        """This split with ``x`` converted from the ``source`` layout to ``target``.

        Args:
            source: the layout ``x`` has now.
            target: a layout that :func:`~torchsearch.data.plan_conversion` allows.

        Returns:
            A new split; lengths are kept only from sequence to sequence.
        """
        if source == target:
            return self
        keep = source.kind is InputKind.SEQUENCE and target.kind is InputKind.SEQUENCE
        lengths = self.lengths if keep else None
        return Split(convert_layout(self.x, source, target), self.y, lengths, self.y_scale)


@dataclass(frozen=True)
class Standardization:
    """Per-feature ``(x - mean) / std`` with statistics of the training split only.

    ``mean`` and ``std`` have the shape of one example in the data set's source layout
    (or are scalars, for one constant scale); an exported model applies them to raw
    inputs before the layout conversion.

    Args:
        mean: the training mean of each feature.
        std: the training standard deviation (1 for constant features).
    """

    mean: Tensor
    std: Tensor

    def apply(self, x: Tensor) -> Tensor:
        """Standardises a batch of raw inputs in the source layout."""
        return (x - self.mean) / self.std


@dataclass(frozen=True)
class DataSplits:
    """A data set ready to search on: train, validation and test splits and their spec.

    Selection (which architecture is best) reads the validation split only; the test
    split is only for reporting the chosen model, once.

    Args:
        train: the split candidates train on.
        validation: the split the search compares candidates on.
        test: the held-out split for the final report.
        input_spec: the layout and per-example shape of every split's ``x``.
        num_classes: ``C``; labels are ``0..C-1``. 0 for regression.
        name: the data set's name as configured (``data=<name>``), for messages.
        class_names: the original label of each class index, if known.
        image_shape: the ``(C, H, W)`` the data declares, which lets flat vectors (and
            sequences of rows) become images; taken from ``source_spec`` for images.
        standardization: the feature scaling applied to every split, if any.
        feature_names: names of the source features (CSV columns), if any.
        source_spec: the provider's natural layout; defaults to ``input_spec``.
        target_scaling: for regression, the training targets' mean and standard
            deviation: the splits hold ``(y - mean) / std``, and an exported model turns
            its outputs back into the target's units.

    Raises:
        DataError: the splits disagree with the spec or the labels with ``num_classes``.
    """

    train: Split
    validation: Split
    test: Split
    input_spec: TensorSpec
    num_classes: int
    name: str
    class_names: tuple[str, ...] | None = None
    image_shape: tuple[int, int, int] | None = None
    standardization: Standardization | None = None
    feature_names: tuple[str, ...] | None = None
    source_spec: TensorSpec | None = None
    target_scaling: Standardization | None = None

    def __post_init__(self) -> None:
        if self.source_spec is None:
            object.__setattr__(self, "source_spec", self.input_spec)
        source = self.source_spec
        if source.kind is InputKind.IMAGE:
            shape = tuple(int(d) for d in source.shape)  # type: ignore[arg-type]
            if self.image_shape is not None and tuple(self.image_shape) != shape:
                raise DataError(
                    f"data={self.name} declares image_shape {list(self.image_shape)}, but "
                    f"its images are {list(shape)}; drop data.image_shape."
                )
            object.__setattr__(self, "image_shape", shape)
        elif self.image_shape is not None:
            object.__setattr__(self, "image_shape", tuple(int(d) for d in self.image_shape))
            self._check_image_shape()
        self._check_classes()
        for split_name in SPLIT_NAMES:
            self._check_split(split_name, getattr(self, split_name))

    @property
    def per_step(self) -> bool:
        """Whether the labels are one per step of each sequence (for ``rnn_all``)."""
        return self.train.per_step

    @property
    def task(self) -> str:
        """``regression`` when the targets are numbers, else ``classification``."""
        return "regression" if self.train.y.is_floating_point() else "classification"

    @property
    def num_outputs(self) -> int:
        """A model's outputs per prediction: a logit per class, or one number."""
        return 1 if self.task == "regression" else self.num_classes

    def to_kind(self, kind: InputKind | str) -> DataSplits:
        """The whole data set in the layout ``kind`` (see ``plan_conversion`` for the rules).

        Args:
            kind: ``image``, ``flat`` or ``sequence``.

        Returns:
            ``self`` when the layout already fits, else a converted copy.

        Raises:
            DataError: the conversion is impossible; the message names the data set, the
                layout it has, the layout asked for and the spaces that fit.
        """
        source = self.source_spec
        assert source is not None  # set in __post_init__
        if self.per_step and str(getattr(kind, "value", kind)) != InputKind.SEQUENCE.value:
            raise DataError(
                f"data={self.name} has a label per step, which only a sequence model "
                "predicting every step reads: use space=rnn_all."
            )
        target = plan_conversion(source, kind, self.image_shape, self.name)
        if target == self.input_spec:
            return self

        def convert(split: Split) -> Split:
            return split.convert(self.input_spec, source).convert(source, target)

        return dataclasses.replace(
            self,
            train=convert(self.train),
            validation=convert(self.validation),
            test=convert(self.test),
            input_spec=target,
        )

    def prepare(self, raw: Tensor) -> Tensor:
        """Turns raw inputs of the source layout into model inputs (what an export needs).

        Args:
            raw: a batch as the provider read it, before scaling.

        Returns:
            The batch standardised as the splits were and converted to ``input_spec``.
        """
        x = raw.to(torch.float32)
        if self.standardization is not None:
            x = self.standardization.apply(x)
        assert self.source_spec is not None
        return convert_layout(x, self.source_spec, self.input_spec)

    def summary(self) -> str:
        """One line: name, spec, classes (or a numeric target) and split sizes."""
        target = "a numeric target" if self.task == "regression" else f"{self.num_classes} classes"
        return (
            f"data={self.name}: {describe_spec(self.input_spec)}, {target}, "
            f"{len(self.train)} train / {len(self.validation)} validation / "
            f"{len(self.test)} test examples"
        )

    def _check_image_shape(self) -> None:
        assert self.source_spec is not None and self.image_shape is not None
        c, h, w = self.image_shape
        source = self.source_spec
        if source.kind is InputKind.FLAT and c * h * w != source.shape[0]:
            raise DataError(
                f"data={self.name} declares image_shape {list(self.image_shape)} "
                f"({c * h * w} values), but it gives {describe_spec(source)}; make "
                "C*H*W equal the number of features."
            )
        if source.kind is InputKind.SEQUENCE and (h, c * w) != source.shape:
            raise DataError(
                f"data={self.name} declares image_shape {list(self.image_shape)}, but it "
                f"gives {describe_spec(source)}; rows as steps need H steps of C*W features."
            )

    def _check_classes(self) -> None:
        if self.task == "regression":
            if self.target_scaling is None:
                raise DataError(
                    f"data={self.name} has numeric targets but no target_scaling; give the "
                    "training targets' mean and standard deviation."
                )
            return
        if self.num_classes < 2:
            raise DataError(
                f"data={self.name} has {self.num_classes} class(es); classification needs at "
                "least two classes."
            )
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise DataError(
                f"data={self.name} names {len(self.class_names)} classes but has "
                f"{self.num_classes}."
            )

    def _check_split(self, split_name: str, split: Split) -> None:
        if len(split) == 0:
            raise DataError(f"data={self.name} has an empty {split_name} split.")
        if split.per_step != self.train.per_step:
            raise DataError(
                f"data={self.name}: the {split_name} split has "
                f"{'a label per step' if split.per_step else 'one label per example'}, the "
                "train split not; give every split the same kind of labels."
            )
        shape = tuple(split.x.shape[1:])
        expected = self.input_spec.shape
        if len(shape) != len(expected) or any(
            e is not None and e != s for e, s in zip(expected, shape, strict=True)
        ):
            raise DataError(
                f"data={self.name}: the {split_name} inputs have shape {shape} per example, "
                f"but the spec is {self.input_spec}."
            )
        finite = torch.isfinite(split.x.reshape(len(split), -1)).all(dim=1)
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0])
            raise DataError(
                f"data={self.name}: the {split_name} inputs have a NaN or infinite value at "
                f"example {bad}; {NOT_FINITE_FIX}"
            )
        if split.y.is_floating_point() != self.train.y.is_floating_point():
            raise DataError(
                f"data={self.name}: the {split_name} targets are "
                f"{'numbers' if split.y.is_floating_point() else 'class indices'}, the "
                "train split's not; give every split the same kind of targets."
            )
        if split.y.is_floating_point():
            if not bool(torch.isfinite(split.y).all()):
                bad = int((~torch.isfinite(split.y)).nonzero()[0])
                raise DataError(
                    f"data={self.name}: the {split_name} targets have a NaN or infinite "
                    f"value at example {bad}; fill in or drop the examples without a target."
                )
            return
        low, high = int(split.y.min()), int(split.y.max())
        if low < 0 or high >= self.num_classes:
            raise DataError(
                f"data={self.name}: the {split_name} labels run from {low} to {high}, outside "
                f"the class indices 0..{self.num_classes - 1}."
            )
