"""The data provider contract, and the checks every provider's settings go through.

A provider is built from the Hydra config subtree ``data`` (less its ``name`` key) as
keyword settings, and :meth:`DataProvider.load` returns a :class:`DataSplits`. This
replaces Model Search's ``data.Provider`` with its TensorFlow input functions and
feature columns (docs/model_search.md, "Data"): the driver needs tensors and a spec, and
nothing here knows about training.
"""

from __future__ import annotations

import abc
import difflib
import inspect
import numbers
from collections.abc import Sequence
from typing import Any
from typing import ClassVar

from torchsearch._errors import ConfigError
from torchsearch._schema import TASKS
from torchsearch.data._records import DataSplits

__all__ = [
    "DataProvider",
    "check_fraction",
    "check_fractions",
    "check_image_shape",
    "check_seed",
    "check_split_settings",
    "check_task",
]


class _SettingsChecked(abc.ABCMeta):
    """Checks keyword settings against ``__init__`` before a provider is constructed."""

    def __call__(cls, *args: Any, **settings: Any) -> Any:
        if args:
            raise ConfigError(
                f"{cls.__name__} takes keyword settings only (the keys of the data config)."
            )
        _check_settings(cls, settings)
        return super().__call__(**settings)


class DataProvider(abc.ABC, metaclass=_SettingsChecked):
    """Reads one data set and splits it into train, validation and test.

    Subclasses take their settings as keyword arguments of ``__init__`` (with defaults
    for all but the essential ones, such as a file's ``path``), check them there and
    raise :class:`~torchsearch.ConfigError` for bad values, and implement :meth:`load`.
    An unknown or missing setting is a :class:`~torchsearch.ConfigError` listing the
    accepted ones, raised before ``__init__`` runs.

    :meth:`load` is called once per worker, before any training; it raises
    :class:`~torchsearch.DataError` for any problem with the data itself. The returned
    validation split is what the search selects on; the test split is only for
    reporting the chosen model.

    Set ``name`` to the name the data set is registered under: messages say
    ``data=<name>``.
    """

    name: ClassVar[str] = "custom"

    @abc.abstractmethod
    def load(self) -> DataSplits:
        """Reads the data and returns its splits in the provider's natural layout.

        Returns:
            The splits; ``input_spec`` is the natural layout (e.g. images for an image
            folder), which ``DataSplits.to_kind`` converts for a search space.

        Raises:
            DataError: the data is missing, unreadable or unusable.
        """

    @classmethod
    def settings(cls) -> dict[str, Any]:
        """The accepted settings and their defaults (``inspect.Parameter.empty`` if required)."""
        return {p.name: p.default for p in _parameters(cls)}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={getattr(self, k, '?')!r}" for k in self.settings())
        return f"{type(self).__name__}({values})"


def check_fraction(dataset: str, setting: str, value: Any) -> float:
    """``value`` as a float strictly between 0 and 1.

    Raises:
        ConfigError: it is not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ConfigError(
            f"data={dataset}: {setting} must be a number between 0 and 1 (exclusive), "
            f"got {value!r}."
        )
    return float(value)


def check_fractions(dataset: str, validation: float, test: float) -> None:
    """Checks that the carved validation and test fractions leave training data.

    Raises:
        ConfigError: the two fractions add up to 1 or more.
    """
    if validation + test >= 1:
        raise ConfigError(
            f"data={dataset}: validation_fraction + test_fraction = {validation + test:g} "
            "leaves nothing to train on; make their sum less than 1."
        )


def check_seed(dataset: str, value: Any) -> int:
    """``value`` as an int seed.

    Raises:
        ConfigError: it is not an integer.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"data={dataset}: seed must be an integer, got {value!r}.")
    return int(value)


def check_split_settings(
    dataset: str, validation_fraction: Any, test_fraction: Any, seed: Any
) -> tuple[float, float, int]:
    """The carving settings of a provider that splits one pool three ways, checked: two
    fractions that leave training data, and the seed.

    Raises:
        ConfigError: one of them is wrong.
    """
    validation = check_fraction(dataset, "validation_fraction", validation_fraction)
    test = check_fraction(dataset, "test_fraction", test_fraction)
    check_fractions(dataset, validation, test)
    return validation, test, check_seed(dataset, seed)


def check_task(dataset: str, value: Any) -> str:
    """``value`` as a task: ``classification`` (class labels) or ``regression`` (numbers).

    Raises:
        ConfigError: it is neither.
    """
    if value not in TASKS:
        raise ConfigError(
            f"data={dataset}: task must be classification or regression, got {value!r}."
        )
    return str(value)


def check_image_shape(dataset: str, value: Any) -> tuple[int, int, int] | None:
    """``value`` (``None`` or ``[C, H, W]``) as a tuple of three positive ints.

    Raises:
        ConfigError: it is not three positive integers.
    """
    if value is None:
        return None
    if not _positive_ints(value, 3):
        raise ConfigError(
            f"data={dataset}: image_shape must be [channels, height, width], got {value!r}."
        )
    return tuple(int(d) for d in value)  # type: ignore[return-value]


def _positive_ints(value: Any, count: int) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == count
        and all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in value)
        and all(int(d) > 0 for d in value)
    )


def _parameters(cls: type) -> list[inspect.Parameter]:
    init = cls.__init__  # type: ignore[misc]
    if init is object.__init__:
        return []
    params = list(inspect.signature(init).parameters.values())[1:]  # drop self
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _check_settings(cls: type, settings: dict[str, Any]) -> None:
    dataset = getattr(cls, "name", cls.__name__)
    params = _parameters(cls)
    init = cls.__init__  # type: ignore[misc]
    takes_any = init is not object.__init__ and any(
        p.kind is p.VAR_KEYWORD for p in inspect.signature(init).parameters.values()
    )
    accepted = {p.name: p for p in params}
    unknown = [k for k in settings if k not in accepted]
    if unknown and not takes_any:
        close = difflib.get_close_matches(unknown[0], accepted, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"data={dataset} has no setting {', '.join(map(repr, unknown))}.{hint} It accepts: "
            f"{_listing(params) or 'no settings'}."
        )
    missing = [p.name for p in params if p.default is p.empty and p.name not in settings]
    if missing:
        raise ConfigError(
            f"data={dataset} needs the setting {', '.join(missing)} "
            f"(e.g. data.{missing[0]}=...). It accepts: {_listing(params)}."
        )


def _listing(params: list[inspect.Parameter]) -> str:
    return ", ".join(
        f"{p.name} (required)" if p.default is p.empty else f"{p.name}={p.default!r}"
        for p in params
    )
