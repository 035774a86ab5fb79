"""Architectures: towers of block names plus hyperparameters, serialisable as JSON.

Blocks are named by their registered lookup names, never by integer ids
(docs/model_search.md, "Architectures and the CNN order"), so an architecture stays
meaningful when plugins come and go.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from types import MappingProxyType
from typing import Any

from torchsearch._errors import ConfigError

__all__ = ["Architecture", "JSONScalar", "ProblemType"]

JSONScalar = bool | int | float | str | None


class ProblemType(str, enum.Enum):
    """What a model predicts, which decides its logits head.

    As Model Search's problem types (docs/model_search.md, "Problem types").
    """

    DNN = "dnn"
    """One label per example from any stack of blocks."""
    CNN = "cnn"
    """One label per image: conv blocks, then exactly one flatten, then dense blocks."""
    RNN_ALL = "rnn_all"
    """One label per time step of a sequence (Model Search's RNN_ALL_ACTIVATIONS)."""
    RNN_LAST = "rnn_last"
    """One label per sequence, read at its last valid step (RNN_LAST_ACTIVATIONS)."""

    @classmethod
    def parse(cls, value: str | ProblemType) -> ProblemType:
        """Accepts ``"cnn"``, ``"CNN"`` or Model Search's ``"RNN_ALL_ACTIVATIONS"``."""
        if isinstance(value, ProblemType):
            return value
        text = str(value).strip().lower().replace("_activations", "")
        try:
            return cls(text)
        except ValueError:
            options = ", ".join(p.value for p in cls)
            raise ConfigError(f"Unknown problem type {value!r}; use one of {options}.") from None


@dataclass(frozen=True)
class Architecture:
    """A model to build: one or more towers of block names, and hyperparameters.

    Several towers form an ensemble whose logits are averaged. ``hparams`` holds the
    trial's hyperparameters (learning rate, ``dropout_rate``, ...) and the values of
    tunable blocks under ``<BLOCKNAME>_<name>``.

    Args:
        towers: the block names of each tower, input side first.
        hparams: JSON scalars by name.
    """

    towers: tuple[tuple[str, ...], ...]
    hparams: Mapping[str, JSONScalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        towers = self.towers
        if isinstance(towers, (str, bytes)) or not isinstance(towers, Iterable):
            raise ConfigError("An architecture needs a list of towers, each a list of names.")
        normal = tuple(_tower(t, i) for i, t in enumerate(towers))
        if not normal:
            raise ConfigError("An architecture needs at least one tower.")
        if not isinstance(self.hparams, Mapping):
            raise ConfigError(
                f"An architecture's hparams must map names to values, got {self.hparams!r}."
            )
        hparams = dict(self.hparams)
        for key, value in hparams.items():
            if not isinstance(key, str) or not isinstance(
                value, (bool, int, float, str, type(None))
            ):
                raise ConfigError(
                    f"Hyperparameter {key!r} must map a name to a JSON scalar, got {value!r}."
                )
        object.__setattr__(self, "towers", normal)
        object.__setattr__(self, "hparams", MappingProxyType(hparams))

    @classmethod
    def single(cls, blocks: Iterable[str], **hparams: JSONScalar) -> Architecture:
        """An architecture of one tower."""
        return cls((tuple(blocks),), hparams)

    @property
    def blocks(self) -> tuple[str, ...]:
        """The block names of the first (search) tower."""
        return self.towers[0]

    def replace_tower(self, index: int, blocks: Iterable[str]) -> Architecture:
        """A copy with tower ``index`` replaced."""
        towers = list(self.towers)
        towers[index] = tuple(blocks)
        return Architecture(tuple(towers), self.hparams)

    def with_hparams(self, **hparams: JSONScalar) -> Architecture:
        """A copy with ``hparams`` laid over the current ones."""
        return Architecture(self.towers, {**self.hparams, **hparams})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"towers": [[...], ...], "hparams": {...}}``."""
        return {"towers": [list(t) for t in self.towers], "hparams": dict(self.hparams)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Architecture:
        """The inverse of :meth:`to_dict`; a bare list of names is read as one tower."""
        if isinstance(data, (list, tuple)):
            return cls.single(data)
        if not isinstance(data, Mapping) or "towers" not in data:
            raise ConfigError(
                'An architecture must be {"towers": [[block names...]], "hparams": {...}} '
                f"or a list of block names, got {data!r}."
            )
        unknown = set(data) - {"towers", "hparams"}
        if unknown:
            raise ConfigError(f"Unknown architecture field(s) {sorted(unknown)}.")
        return cls(data["towers"], data.get("hparams") or {})

    def to_json(self) -> str:
        """Compact, key-sorted JSON: equal architectures give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Architecture:
        """The inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"Architecture JSON is malformed: {exc}.") from None
        return cls.from_dict(data)

    def __reduce__(self) -> tuple[type[Architecture], tuple[Any, ...]]:
        # The read-only hparams view cannot be pickled; rebuild from a plain dict.
        return (Architecture, (self.towers, dict(self.hparams)))

    def __hash__(self) -> int:
        return hash((self.towers, tuple(sorted(self.hparams.items()))))

    def __str__(self) -> str:
        towers = " | ".join(" > ".join(t) or "(empty)" for t in self.towers)
        return towers


def _tower(blocks: Any, index: int) -> tuple[str, ...]:
    if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Iterable):
        raise ConfigError(f"Tower {index} must be a list of block names, got {blocks!r}.")
    names = tuple(blocks)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"Tower {index} holds {name!r}; block names are non-empty strings.")
    return names
