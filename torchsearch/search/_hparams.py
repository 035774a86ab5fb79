"""The hyperparameter space: ordinary Optuna params, drawn by the inner sampler (TPE).

Model Search's oracle space (docs/model_search.md, "Hyperparameters"), built from the
``learning`` block of a space config. The architecture is not part of it: only the
hyperparameters, plus the tunable settings of the blocks in the trial's tower under
``<BLOCKNAME>_<name>``.

Optuna refuses a categorical whose choices change within a study (docs/library_notes.md,
"Optuna"), so every distribution is a function of the config (and of the block) alone,
never of the trial.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution

from torchsearch._errors import ConfigError
from torchsearch._schema import LearningSchema
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import Choice
from torchsearch.blocks import FloatRange
from torchsearch.blocks import IntRange
from torchsearch.blocks import get_registry
from torchsearch.space import DROPOUT_HPARAM
from torchsearch.space import EXPONENTIAL_DECAY_TIMES
from torchsearch.space import Hyperparameters
from torchsearch.space import JSONScalar
from torchsearch.space import decay_steps

__all__ = [
    "DROPOUT_OFF",
    "EXPONENTIAL_DECAY_RATE",
    "EXPONENTIAL_DECAY_TIMES",
    "GRADIENT_MAX_NORM",
    "L2_REGULARIZATION",
    "LEARNING_RATE",
    "MAX_CATEGORICAL_DECAY_TIMES",
    "OPTIMIZER",
    "HyperparameterSpace",
    "decay_steps",
]

LEARNING_RATE = "learning_rate"
OPTIMIZER = "optimizer"
EXPONENTIAL_DECAY_RATE = "exponential_decay_rate"
GRADIENT_MAX_NORM = "gradient_max_norm"
L2_REGULARIZATION = "l2_regularization"
DROPOUT_OFF = -1.0
"""The ``dropout_rate`` choice meaning "no dropout", as in Model Search."""
MAX_CATEGORICAL_DECAY_TIMES = 100
"""Above this many decay-times choices, an integer range replaces the categorical."""

# Model Search's defaults, for keys a config leaves out: the config schema's.
_DEFAULTS: dict[str, Any] = dataclasses.asdict(LearningSchema())


_ALWAYS_KNOWN = {f.name for f in dataclasses.fields(Hyperparameters)} | {
    EXPONENTIAL_DECAY_TIMES,
    DROPOUT_HPARAM,
}
"""What a trial's hparams may hold besides the space's draws: the trainer's fields."""


class HyperparameterSpace:
    """The hyperparameters of a space config, as Optuna distributions.

    Build it with :meth:`from_config`. :meth:`suggest` draws a trial's values through the
    study's sampler (an :class:`~torchsearch.search.ArchitectureSampler` hands them to its
    inner sampler).

    Args:
        distributions: the fixed hyperparameters, by name, in suggestion order.
    """

    def __init__(self, distributions: Mapping[str, BaseDistribution]) -> None:
        self._fixed = dict(distributions)

    @classmethod
    def from_config(cls, learning: Mapping[str, Any] | None) -> HyperparameterSpace:
        """The space of a ``learning`` block (see ``conf/space/dnn.yaml``).

        ``learning_rate`` is log-uniform and ``optimizer`` categorical, always. When
        switched on (``apply: true``): ``dropout_rate`` is categorical over -1 (off) and 10
        values evenly spaced over ``[min, max)``; ``exponential_decay_rate`` uniform in
        ``[min_rate, max_rate]``; ``exponential_decay_times`` an integer in
        ``[min_decay_times, max_decay_times)``, categorical as in Model Search up to
        :data:`MAX_CATEGORICAL_DECAY_TIMES` choices, an integer range above (a categorical
        of 10 000 choices stores about 60 kB per trial); ``gradient_max_norm`` an integer
        in ``[min, max]``; ``l2_regularization`` uniform in ``[min, max]``.

        Raises:
            ConfigError: an unknown key or an impossible range.
        """
        cfg = _section("learning", learning or {}, _DEFAULTS)
        dists: dict[str, BaseDistribution] = {}
        low, high = _pair("learning.learning_rate", cfg["learning_rate"])
        if not 0 < low <= high:
            raise ConfigError(f"learning.learning_rate needs 0 < low <= high, got {low, high}.")
        dists[LEARNING_RATE] = FloatDistribution(low, high, log=True)
        optimizers = cfg["optimizers"]
        if isinstance(optimizers, str) or not optimizers or len(set(optimizers)) < len(optimizers):
            raise ConfigError(f"learning.optimizers must list distinct names, got {optimizers!r}.")
        dists[OPTIMIZER] = CategoricalDistribution([str(o) for o in optimizers])
        for key, switched in _SWITCHED.items():
            section = _section(f"learning.{key}", cfg[key], _DEFAULTS[key])
            if not isinstance(section["apply"], bool):
                raise ConfigError(f"learning.{key}.apply must be true or false.")
            if section["apply"]:
                dists.update(switched(section))
        return cls(dists)

    @property
    def fixed_distributions(self) -> dict[str, BaseDistribution]:
        """The hyperparameters every trial draws, by name."""
        return dict(self._fixed)

    def distributions(
        self, architecture_blocks: Iterable[str] = (), registry: BlockRegistry | None = None
    ) -> dict[str, BaseDistribution]:
        """Every distribution a trial of these blocks draws: the fixed ones, then each
        tunable block's under ``<BLOCKNAME>_<name>``.

        Raises:
            UnknownBlockError: a block is not registered.
            ConfigError: a block hyperparameter's name is taken.
        """
        dists = dict(self._fixed)
        names = list(dict.fromkeys(architecture_blocks))
        if not names:
            return dists
        registry = get_registry() if registry is None else registry
        for block in names:
            for name, hp in registry.prototype(block).hyperparameters().items():
                key = f"{block}_{name}"
                if key in dists:
                    raise ConfigError(f"Block hyperparameter {key!r} clashes with another one.")
                dists[key] = _distribution(key, hp)
        return dists

    def check_fixed(
        self,
        values: Mapping[str, Any],
        architecture_blocks: Iterable[str],
        where: str,
        registry: BlockRegistry | None = None,
    ) -> None:
        """Checks that hyperparameters fixed by hand (a suggestion's ``hparams``) are ones
        a trial of these blocks has: drawn by this space, or read by the trainer.

        Raises:
            ConfigError: naming the first unknown one, with the closest known name.
        """
        known = set(self.distributions(architecture_blocks, registry)) | _ALWAYS_KNOWN
        for name in values:
            if name not in known:
                close = difflib.get_close_matches(str(name), sorted(known), n=1)
                fix = f"did you mean {close[0]}?" if close else f"use {', '.join(sorted(known))}."
                raise ConfigError(f"{where} has {name!r}, which is not a hyperparameter; {fix}")

    def suggest(
        self,
        trial: optuna.Trial,
        architecture_blocks: Iterable[str] = (),
        registry: BlockRegistry | None = None,
    ) -> dict[str, JSONScalar]:
        """Draws the trial's hyperparameters with ``trial.suggest_*``.

        Args:
            trial: the running trial.
            architecture_blocks: the blocks of the proposed architecture; only their
                tunable settings are drawn.
            registry: where to look the blocks up; the installed registry by default.

        Returns:
            The values by name, ready for ``Architecture.hparams``.
        """
        values: dict[str, JSONScalar] = {}
        for name, dist in self.distributions(architecture_blocks, registry).items():
            if isinstance(dist, FloatDistribution):
                values[name] = trial.suggest_float(
                    name, dist.low, dist.high, step=dist.step, log=dist.log
                )
            elif isinstance(dist, IntDistribution):
                values[name] = trial.suggest_int(
                    name, dist.low, dist.high, step=dist.step, log=dist.log
                )
            else:
                assert isinstance(dist, CategoricalDistribution)
                values[name] = trial.suggest_categorical(name, dist.choices)
        return values

    def __repr__(self) -> str:
        return f"HyperparameterSpace({', '.join(self._fixed)})"


def _dropout(cfg: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    low, high = _ordered("learning.dropout", cfg["min"], cfg["max"], strict=True)
    if low < 0 or high > 1:
        raise ConfigError(f"learning.dropout must lie in [0, 1], got {low, high}.")
    values = [round(low + i * (high - low) / 10, 10) for i in range(10)]  # [min, max)
    return {DROPOUT_HPARAM: CategoricalDistribution([DROPOUT_OFF, *values])}


def _decay(cfg: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    where = "learning.exponential_decay"
    low, high = _ordered(where, cfg["min_rate"], cfg["max_rate"])
    if not 0 < low <= high <= 1:
        raise ConfigError(f"{where} needs 0 < min_rate <= max_rate <= 1, got {low, high}.")
    first = _integer(f"{where}.min_decay_times", cfg["min_decay_times"])
    stop = _integer(f"{where}.max_decay_times", cfg["max_decay_times"])
    if not 1 <= first < stop:
        raise ConfigError(
            f"{where} needs 1 <= min_decay_times < max_decay_times (the range excludes its "
            f"maximum), got {first} and {stop}."
        )
    if stop - first <= MAX_CATEGORICAL_DECAY_TIMES:
        times: BaseDistribution = CategoricalDistribution(list(range(first, stop)))
    else:
        times = IntDistribution(first, stop - 1)
    return {EXPONENTIAL_DECAY_RATE: FloatDistribution(low, high), EXPONENTIAL_DECAY_TIMES: times}


def _clipping(cfg: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    low = _integer("learning.gradient_clipping.min", cfg["min"])
    high = _integer("learning.gradient_clipping.max", cfg["max"])
    if not 0 < low <= high:
        raise ConfigError(f"learning.gradient_clipping needs 0 < min <= max, got {low, high}.")
    return {GRADIENT_MAX_NORM: IntDistribution(low, high)}


def _l2(cfg: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    low, high = _ordered("learning.l2_regularization", cfg["min"], cfg["max"])
    if low < 0:
        raise ConfigError(f"learning.l2_regularization must be >= 0, got {low}.")
    return {L2_REGULARIZATION: FloatDistribution(low, high)}


_SWITCHED: dict[str, Callable[[Mapping[str, Any]], dict[str, BaseDistribution]]] = {
    "dropout": _dropout,
    "exponential_decay": _decay,
    "gradient_clipping": _clipping,
    "l2_regularization": _l2,
}


def _distribution(name: str, hp: object) -> BaseDistribution:
    if isinstance(hp, IntRange):
        return IntDistribution(hp.low, hp.high, log=hp.log)
    if isinstance(hp, FloatRange):
        return FloatDistribution(hp.low, hp.high, log=hp.log)
    if isinstance(hp, Choice):
        return CategoricalDistribution(list(hp.choices))
    raise ConfigError(f"Block hyperparameter {name!r} is a {type(hp).__name__}, not a range.")


def _section(where: str, value: object, defaults: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping, got {value!r}.")
    unknown = sorted(set(value) - set(defaults))
    if unknown:
        raise ConfigError(f"Unknown key(s) {unknown} in {where}; it accepts {sorted(defaults)}.")
    return {**defaults, **value}


def _pair(where: str, value: object) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{where} must be [low, high], got {value!r}.")
    items = list(value)
    if len(items) != 2:
        raise ConfigError(f"{where} must be [low, high], got {value!r}.")
    return _ordered(where, items[0], items[1])


def _ordered(where: str, low: object, high: object, strict: bool = False) -> tuple[float, float]:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
        raise ConfigError(f"{where} bounds must be numbers, got {low!r} and {high!r}.")
    if low > high or (strict and low == high):  # type: ignore[operator]
        relation = "<" if strict else "<="
        raise ConfigError(f"{where} needs min {relation} max, got {low} and {high}.")
    return float(low), float(high)  # type: ignore[arg-type]


def _integer(where: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ConfigError(f"{where} must be a whole number, got {value!r}.")
    return int(value)
