"""Search settings: the fields of Model Search's ``PhoenixSpec`` that steer a search.

Defaults are the original proto's: ``minimum_depth`` 2, ``maximum_depth`` 30,
``beam_size`` 1, ``increase_complexity_probability`` 1.0. Values are
checked on construction; block names, which need a registry, by :meth:`SearchSettings.check`,
which every proposal function calls first, so a bad list fails before any draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from torchsearch._errors import ConfigError
from torchsearch._errors import UnknownBlockError
from torchsearch.blocks import BlockRegistry
from torchsearch.space import DEFAULT_FLATTEN
from torchsearch.space import ProblemType
from torchsearch.trials import check_direction

__all__ = ["SearchSettings"]


@dataclass(frozen=True, kw_only=True)
class SearchSettings:
    """What every search algorithm reads.

    Args:
        blocks: the search blocks (``blocks_to_use``); a name listed twice is drawn twice
            as often, as in Model Search.
        problem: the problem type; a CNN tower gets the CNN order and one flatten.
        minimum_depth: the number of blocks of a random tower.
        maximum_depth: the depth cap; a CNN tower's length counts its flatten.
        beam_size: how many of the best trials may be parents.
        increase_complexity_probability: the chance to grow, rather than mutate, when the
            depth schedule allows a deeper tower.
        increase_complexity_minimum_trials: the depth schedule (see
            :func:`allowed_depth`); empty for ``[0, 5, 10, ...]``.
        direction: ``"minimize"`` (Model Search's loss) or ``"maximize"``.
    """

    blocks: tuple[str, ...]
    problem: ProblemType
    minimum_depth: int = 2
    maximum_depth: int = 30
    beam_size: int = 1
    increase_complexity_probability: float = 1.0
    increase_complexity_minimum_trials: tuple[int, ...] = field(default=())
    direction: str = "minimize"

    def __post_init__(self) -> None:
        if isinstance(self.blocks, str) or not isinstance(self.blocks, Sequence):
            raise ConfigError(f"blocks must be a list of block names, got {self.blocks!r}.")
        blocks = tuple(self.blocks)
        if not blocks:
            raise ConfigError("blocks is empty; list the blocks the search may use.")
        bad = [b for b in blocks if not isinstance(b, str) or not b]
        if bad:
            raise ConfigError(f"blocks must be non-empty names, got {bad}.")
        _set(self, "blocks", blocks)
        _set(self, "problem", ProblemType.parse(self.problem))
        _set(self, "direction", check_direction(self.direction))
        minimum = require_int("minimum_depth", self.minimum_depth)
        maximum = require_int("maximum_depth", self.maximum_depth)
        if not 1 <= minimum <= maximum:
            raise ConfigError(
                f"Depths must satisfy 1 <= minimum_depth <= maximum_depth, got "
                f"minimum_depth={minimum} and maximum_depth={maximum}."
            )
        if require_int("beam_size", self.beam_size) < 1:
            raise ConfigError(f"beam_size must be at least 1, got {self.beam_size}.")
        p = self.increase_complexity_probability
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ConfigError(f"increase_complexity_probability must be in [0, 1], got {p!r}.")
        _set(self, "increase_complexity_minimum_trials", self._thresholds())

    def _thresholds(self) -> tuple[int, ...]:
        name = "increase_complexity_minimum_trials"
        raw = self.increase_complexity_minimum_trials
        if isinstance(raw, str) or not isinstance(raw, Sequence):
            raise ConfigError(f"{name} must be a list of trial counts, got {raw!r}.")
        thresholds = tuple(require_int(name, t) for t in raw)
        if len(thresholds) > self.maximum_depth:  # Model Search refuses this too
            raise ConfigError(
                f"{name} has {len(thresholds)} thresholds but maximum_depth is "
                f"{self.maximum_depth}; give at most one threshold per depth."
            )
        # Not checked by Model Search; a falling schedule would make depths skip about.
        if any(t < 0 for t in thresholds) or list(thresholds) != sorted(thresholds):
            raise ConfigError(f"{name} must be non-negative and non-decreasing, got {raw!r}.")
        return thresholds

    def check(self, registry: BlockRegistry) -> None:
        """Checks the block names against ``registry``.

        Flatten blocks may not be search blocks: Model Search meant to forbid them (its
        guard never fired; docs/model_search.md, "Deliberate differences"), and one drawn
        into a CNN tower would break its single-flatten order, while in other towers it
        could never be mutated away.

        Raises:
            UnknownBlockError: a name is not registered; the message lists close names.
            ConfigError: a search block is a flatten block.
        """
        check_registered(registry, self.blocks, "blocks")
        flattens = sorted({b for b in self.blocks if registry.prototype(b).is_flatten})
        if flattens:
            raise ConfigError(
                f"blocks lists the flatten block(s) {flattens}; flatten blocks cannot be "
                "search blocks (a CNN tower gets its single flatten from the ordering rule)."
            )
        if self.problem is ProblemType.CNN:
            check_registered(registry, [DEFAULT_FLATTEN], "the CNN ordering rule")


def check_registered(registry: BlockRegistry, names: Sequence[str], where: str) -> None:
    """Raises :class:`UnknownBlockError` naming the setting (``where``) that holds a bad name."""
    try:
        registry.check(names)
    except UnknownBlockError as exc:
        raise UnknownBlockError(f"In {where}: {exc}") from None


def require_int(name: str, value: object) -> int:
    """``value`` if it is an integer (not a bool), else a :class:`ConfigError` naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}.")
    return value


def _set(settings: object, name: str, value: object) -> None:
    object.__setattr__(settings, name, value)
