"""The Block contract: what a block plugin provides, and the shapes it works on.

A :class:`Block` is a small, picklable description of a layer family with fixed settings
(``CONVOLUTION_3X3`` is ``Convolution(kernel_size=3)``). Given the shape of its input it
builds the ``nn.Module`` that does the work and says what shape comes out, so a whole
architecture can be checked and sized before a single tensor flows. This mirrors
Model Search's ``Block`` (docs/model_search.md, "Blocks") with TensorFlow's lazily shaped
layers replaced by explicit shape inference.
"""

from __future__ import annotations

import abc
import enum
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import ClassVar
from typing import NamedTuple

from torch import nn

from torchsearch._errors import ConfigError

__all__ = [
    "Block",
    "BlockVariant",
    "BuiltBlock",
    "Choice",
    "FloatRange",
    "Hyperparameter",
    "InputKind",
    "IntRange",
    "TensorSpec",
]


class InputKind(str, enum.Enum):
    """The three layouts a tensor between blocks can have (the batch dimension comes first)."""

    IMAGE = "image"
    """``N, C, H, W``: channels first, as torch convolutions expect."""
    FLAT = "flat"
    """``N, F``: a vector of features per example."""
    SEQUENCE = "sequence"
    """``N, T, F``: ``T`` steps of ``F`` features, with optional lengths of shape ``N``."""


@dataclass(frozen=True)
class TensorSpec:
    """The kind and per-example shape (no batch dimension) of a tensor between blocks.

    Args:
        kind: the layout.
        shape: ``(C, H, W)`` for images, ``(F,)`` for flat inputs and ``(T, F)`` for
            sequences, where ``T`` may be ``None`` when the number of steps varies.
    """

    kind: InputKind
    shape: tuple[int | None, ...]

    def __post_init__(self) -> None:
        expected = {InputKind.IMAGE: 3, InputKind.FLAT: 1, InputKind.SEQUENCE: 2}[self.kind]
        if len(self.shape) != expected:
            raise ValueError(
                f"A {self.kind.value} spec needs {expected} dimensions, got shape {self.shape}."
            )
        fixed = self.shape[1:] if self.kind is InputKind.SEQUENCE else self.shape
        if any(d is None or d < 1 for d in fixed):
            raise ValueError(f"Dimensions must be positive integers, got shape {self.shape}.")

    @classmethod
    def image(cls, channels: int, height: int, width: int) -> TensorSpec:
        """An ``N, C, H, W`` image spec."""
        return cls(InputKind.IMAGE, (channels, height, width))

    @classmethod
    def flat(cls, features: int) -> TensorSpec:
        """An ``N, F`` spec."""
        return cls(InputKind.FLAT, (features,))

    @classmethod
    def sequence(cls, features: int, steps: int | None = None) -> TensorSpec:
        """An ``N, T, F`` spec; ``steps`` is ``None`` when sequences vary in length."""
        return cls(InputKind.SEQUENCE, (steps, features))

    @property
    def channels(self) -> int:
        """Channels of an image spec."""
        self._require(InputKind.IMAGE)
        return int(self.shape[0])  # type: ignore[arg-type]

    @property
    def features(self) -> int:
        """Features per example (flat) or per step (sequence)."""
        if self.kind is InputKind.IMAGE:
            raise ValueError("An image spec has channels, not features; use numel.")
        return int(self.shape[-1])  # type: ignore[arg-type]

    @property
    def steps(self) -> int | None:
        """Number of steps of a sequence spec, ``None`` if it varies."""
        self._require(InputKind.SEQUENCE)
        return self.shape[0]

    @property
    def numel(self) -> int:
        """Elements per example once flattened (images and flat specs only)."""
        if self.kind is InputKind.SEQUENCE:
            raise ValueError("A sequence has no fixed number of elements per example.")
        size = 1
        for d in self.shape:
            size *= int(d)  # type: ignore[arg-type]
        return size

    def with_shape(self, *shape: int | None) -> TensorSpec:
        """The same kind with another shape."""
        return TensorSpec(self.kind, tuple(shape))

    def __str__(self) -> str:
        dims = ", ".join("T" if d is None else str(d) for d in self.shape)
        return f"{self.kind.value}({dims})"

    def _require(self, kind: InputKind) -> None:
        if self.kind is not kind:
            raise ValueError(f"Expected a {kind.value} spec, got {self}.")


class BuiltBlock(NamedTuple):
    """What :meth:`Block.build` returns: the module and the spec of its output."""

    module: nn.Module
    output: TensorSpec


@dataclass(frozen=True)
class IntRange:
    """A tunable integer in ``[low, high]`` (Model Search's keras-tuner ``Int``)."""

    low: int
    high: int
    default: int
    log: bool = False

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is an integer within the range."""
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )


@dataclass(frozen=True)
class FloatRange:
    """A tunable float in ``[low, high]``."""

    low: float
    high: float
    default: float
    log: bool = False

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a number within the range."""
        return isinstance(value, (int, float)) and self.low <= value <= self.high


@dataclass(frozen=True)
class Choice:
    """A tunable categorical value."""

    choices: tuple[Any, ...]
    default: Any

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the choices."""
        return value in self.choices


Hyperparameter = IntRange | FloatRange | Choice


class Block(abc.ABC):
    """A family of layers with fixed settings, registered under a lookup name.

    Subclasses set two or three class attributes and implement :meth:`build`:

    - ``input_kinds``: the :class:`InputKind` values the block accepts.
    - ``is_input_order_important``: ``True`` for blocks that read spatial or temporal
      structure (convolutions, pooling, recurrent layers). In a CNN they go before the
      single flatten block; dense blocks go after it (docs/model_search.md,
      "Architectures and the CNN order").
    - ``is_flatten`` (optional, default ``False``): the block turns an image into a flat
      vector; a CNN tower holds exactly one.

    ``uses_lengths = True`` makes the tower call the module as ``module(x, lengths)``,
    where ``lengths`` is a ``N`` tensor of valid steps or ``None``; other modules are
    called as ``module(x)``.

    A tunable block (Model Search's ``requires_hparams``) returns its
    :meth:`hyperparameters`; the search tunes them under the prefix ``<BLOCKNAME>_`` and
    :meth:`build` receives the chosen values without the prefix. Every hyperparameter
    has a default, so a tunable block also builds with no hyperparameters at all.

    Instances are plain settings: building one never changes it, and one instance may
    build many modules.
    """

    input_kinds: ClassVar[frozenset[InputKind]]
    is_input_order_important: ClassVar[bool]
    is_flatten: ClassVar[bool] = False
    uses_lengths: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if inspect.isabstract(cls):
            return
        missing = [a for a in ("input_kinds", "is_input_order_important") if not hasattr(cls, a)]
        if missing:
            raise TypeError(f"Block subclass {cls.__qualname__} must set {', '.join(missing)}.")

    @abc.abstractmethod
    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module for an input of ``spec``.

        Args:
            spec: the kind and shape of the input; :meth:`accepts` is true for it.
            hparams: values for the names of :meth:`hyperparameters` (unprefixed);
                missing names take their defaults.

        Returns:
            The module and the spec of its output.
        """

    def hyperparameters(self) -> Mapping[str, Hyperparameter]:
        """The block's tunable settings, by unprefixed name; empty for most blocks."""
        return {}

    def accepts(self, spec: TensorSpec) -> bool:
        """Whether :meth:`build` can take an input of ``spec``."""
        return spec.kind in self.input_kinds

    def resolve_hparams(self, hparams: Mapping[str, Any] | None) -> dict[str, Any]:
        """The declared hyperparameters with ``hparams`` laid over their defaults."""
        declared = self.hyperparameters()
        values = {name: hp.default for name, hp in declared.items()}
        for name, value in (hparams or {}).items():
            if name not in declared:
                raise ConfigError(
                    f"{type(self).__name__} has no hyperparameter {name!r}; "
                    f"it declares {sorted(declared) or 'none'}."
                )
            if not declared[name].contains(value):
                raise ConfigError(
                    f"{type(self).__name__} hyperparameter {name}={value!r} is outside "
                    f"{declared[name]}."
                )
            values[name] = value
        return values

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in sorted(vars(self).items()))
        return f"{type(self).__name__}({settings})"


class BlockVariant:
    """A block class with fixed keyword settings: the target of a catalogue entry point.

    ``CONVOLUTION_3X3 = BlockVariant(Convolution, kernel_size=3)`` registers one lookup
    name; calling the variant (with optional overrides) returns a fresh block.
    """

    def __init__(self, block_class: type[Block], /, **settings: Any) -> None:
        self.block_class = block_class
        self.settings = settings

    def __call__(self, **overrides: Any) -> Block:
        return self.block_class(**{**self.settings, **overrides})

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"BlockVariant({self.block_class.__name__}, {settings})"
