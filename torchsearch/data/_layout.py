"""Layout conversions between images, flat vectors and sequences.

A search space asks for one input kind (``space=cnn`` images, ``space=dnn`` flat
vectors, ``space=rnn_last`` sequences) while a data set has one natural layout. These
functions decide whether a conversion makes sense, name the spec it yields, and do it
with views or one copy. Every conversion starts from the data set's *source* layout, so
the result never depends on the order of earlier conversions.

Model Search fed each problem type through its provider's feature columns
(docs/model_search.md, "Data"); here a data set is converted once, in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec

__all__ = ["SPACE_FOR_KIND", "convert_layout", "describe_spec", "plan_conversion"]

SPACE_FOR_KIND: dict[InputKind, str] = {
    InputKind.IMAGE: "space=cnn",
    InputKind.FLAT: "space=dnn",
    InputKind.SEQUENCE: "space=rnn_last",
}
"""The shipped search space that reads each input kind, for the hints in messages."""

_WANTS = {
    InputKind.IMAGE: "images (N, C, H, W)",
    InputKind.FLAT: "flat features (N, F)",
    InputKind.SEQUENCE: "sequences (N, T, F)",
}


def describe_spec(spec: TensorSpec) -> str:
    """A phrase for messages: ``"12 flat features"``, ``"1x8x8 images (C x H x W)"``."""
    if spec.kind is InputKind.IMAGE:
        c, h, w = spec.shape
        return f"{c}x{h}x{w} images (C x H x W)"
    if spec.kind is InputKind.FLAT:
        return _count(spec.shape[0], "flat feature")
    steps, features = spec.shape
    if steps is None:
        return f"sequences of varying length with {_count(features, 'feature')} per step"
    return f"sequences of {steps} steps x {_count(features, 'feature')}"


def plan_conversion(
    source: TensorSpec,
    kind: InputKind | str,
    image_shape: Sequence[int] | None,
    dataset: str,
) -> TensorSpec:
    """The spec that data of ``source`` layout has once converted to ``kind``.

    Images become flat (``C*H*W``) or sequences with one step per row (``T=H``,
    ``F=C*W``); flat vectors become sequences of ``F`` steps of one feature; sequences of
    a fixed length become flat (``T*F``); flat vectors and sequences become images only
    when the data set declares an ``image_shape`` that fits.

    Args:
        source: the data set's natural spec.
        kind: the layout asked for.
        image_shape: the ``(C, H, W)`` the data set declares, if any.
        dataset: the data set's name, for messages.

    Returns:
        The converted spec (``source`` itself when ``kind`` is its kind).

    Raises:
        ConfigError: ``kind`` is not an input kind.
        DataError: the conversion is impossible; the message names the data set, both
            layouts and the spaces that fit.
    """
    try:
        kind = InputKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in InputKind)
        raise ConfigError(f"Unknown input kind {kind!r}; use one of {kinds}.") from None
    target = _target(source, kind, image_shape)
    if target is not None:
        return target
    fits = [SPACE_FOR_KIND[k] for k in InputKind if _target(source, k, image_shape)]
    reason = ""
    if source.kind is InputKind.SEQUENCE and source.shape[0] is None:
        reason = " (a varying number of steps has no fixed size)"
    elif kind is InputKind.IMAGE and image_shape is None:
        reason = " and declares no image shape"
    elif kind is InputKind.IMAGE:
        reason = f" that do not fit its image shape {_shape_text(image_shape)}"
    pixels = ""
    if kind is InputKind.IMAGE and source.kind is not InputKind.IMAGE:
        pixels = ", or declare the image shape (data.image_shape=[C, H, W]) if they are pixels"
    raise DataError(
        f"{SPACE_FOR_KIND[kind]} needs {_WANTS[kind]}, but data={dataset} gives "
        f"{describe_spec(source)}{reason}; use {' or '.join(fits)}{pixels}."
    )


def convert_layout(x: Tensor, source: TensorSpec, target: TensorSpec) -> Tensor:
    """Converts a batch ``x`` of ``source`` layout into ``target`` layout.

    One of the two specs must be the data set's source spec and the other what
    :func:`plan_conversion` gives for it: every conversion and its inverse are supported.

    Args:
        x: a batch whose first dimension is the batch.
        source: the layout of ``x``.
        target: the layout wanted.

    Returns:
        ``x`` in the target layout: a view where possible, else one contiguous copy.
    """
    n = x.shape[0]
    if source.kind is target.kind:
        return x
    if target.kind is InputKind.FLAT:
        return x.reshape(n, -1)  # images: C*H*W; fixed-length sequences: T*F, step-major
    if target.kind is InputKind.SEQUENCE:
        steps, features = target.shape
        if source.kind is InputKind.IMAGE:  # rows as steps: (N, C, H, W) -> (N, H, C*W)
            return x.permute(0, 2, 1, 3).reshape(n, steps, features)
        return x.reshape(n, steps, features)  # flat: F steps of one feature
    c, h, w = target.shape
    if source.kind is InputKind.FLAT:
        return x.reshape(n, c, h, w)
    return x.reshape(n, h, c, w).permute(0, 2, 1, 3).contiguous()  # inverse of rows as steps


def _target(
    source: TensorSpec, kind: InputKind, image_shape: Sequence[int] | None
) -> TensorSpec | None:
    if kind is source.kind:
        return source
    if source.kind is InputKind.IMAGE:
        c, h, w = (int(d) for d in source.shape)  # type: ignore[arg-type]
        if kind is InputKind.FLAT:
            return TensorSpec.flat(c * h * w)
        return TensorSpec.sequence(c * w, steps=h)
    if source.kind is InputKind.FLAT:
        (features,) = source.shape
        if kind is InputKind.SEQUENCE:
            return TensorSpec.sequence(1, steps=features)
        if image_shape is not None and _numel(image_shape) == features:
            return TensorSpec.image(*image_shape)
        return None
    steps, features = source.shape
    if steps is None:
        return None
    if kind is InputKind.FLAT:
        return TensorSpec.flat(steps * features)  # type: ignore[operator]
    if image_shape is not None:
        c, h, w = image_shape
        if h == steps and c * w == features:
            return TensorSpec.image(c, h, w)
    return None


def _count(n: int | None, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _numel(shape: Sequence[int]) -> int:
    size = 1
    for d in shape:
        size *= int(d)
    return size


def _shape_text(shape: Sequence[int] | None) -> str:
    return "x".join(str(d) for d in shape or ())
