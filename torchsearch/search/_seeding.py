"""Seeding that keeps several workers apart: one random stream per trial number.

Workers that share a storage usually share a config, so they share its ``seed``. Were the
seed to start one stream per sampler instance, as Optuna's samplers do, every worker would
replay the same draws: the same first towers, the same first learning rates. Trial numbers
are unique within a study whatever the number of workers (the storage hands them out), so
each trial's draws come from a stream seeded by ``(seed, trial number)`` instead:

- two workers with one seed never share a stream, yet a run stays reproducible: the same
  seed and the same completed trials give the same proposal for trial ``k``;
- the stream is made when the trial needs it, so copying a sampler (``n_jobs``, pickling)
  duplicates nothing (as Optuna's ``LazyRandomState``);
- with no seed, a base seed is drawn from the OS on first use, and ``reseed_rng`` draws a
  new one.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch._errors import ConfigError

__all__ = ["INNER_SAMPLERS", "PerTrialSeededSampler", "TrialSeeds", "create_inner_sampler"]


def _tpe(seed: int | None) -> BaseSampler:
    return optuna.samplers.TPESampler(seed=seed)


def _random(seed: int | None) -> BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


INNER_SAMPLERS: dict[str, Callable[[int | None], BaseSampler]] = {"tpe": _tpe, "random": _random}
"""The inner samplers a config may name, each made from a seed (or ``None``)."""


class TrialSeeds:
    """Per-trial seeds derived from one base seed.

    Args:
        seed: the base seed; ``None`` draws one from the OS on first use.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._given = seed
        self._base: int | None = seed

    @property
    def seed(self) -> int | None:
        """The seed given, ``None`` when the base seed is drawn from the OS."""
        return self._given

    def derive(self, trial_number: int, salt: str) -> int:
        """A 32-bit seed for ``trial_number``, different for each ``salt``."""
        if self._base is None:
            self._base = random.SystemRandom().randrange(2**63)
        text = f"{salt}:{self._base}:{trial_number}".encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")

    def rng(self, trial_number: int, salt: str) -> random.Random:
        """A ``random.Random`` for ``trial_number``'s draws."""
        return random.Random(self.derive(trial_number, salt))

    def reseed(self) -> None:
        """Draws a new base seed, unless one was given (its streams are distinct already)."""
        if self._given is None:
            self._base = None


class PerTrialSeededSampler(BaseSampler):
    """An Optuna sampler made afresh, with a per-trial seed, for each trial.

    For samplers whose only state across trials is their random stream (Optuna's
    ``RandomSampler`` and independent ``TPESampler``, which read the history from the
    study), this gives each trial its own stream (see the module docstring).

    Args:
        factory: makes the sampler from a seed.
        seed: the base seed; ``None`` for OS entropy.
        name: shown in ``repr``.
    """

    _CACHE = 16  # samplers of the trials in flight (n_jobs threads) are kept

    def __init__(
        self, factory: Callable[[int | None], BaseSampler], seed: int | None, name: str = ""
    ) -> None:
        self._factory = factory
        self._seeds = TrialSeeds(seed)
        self._name = name
        self._samplers: OrderedDict[int, BaseSampler] = OrderedDict()
        self._lock = threading.Lock()

    def _for(self, trial: FrozenTrial) -> BaseSampler:
        with self._lock:
            sampler = self._samplers.get(trial.number)
            if sampler is None:
                sampler = self._factory(self._seeds.derive(trial.number, "inner"))
                self._samplers[trial.number] = sampler
                while len(self._samplers) > self._CACHE:
                    self._samplers.popitem(last=False)
            return sampler

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()  # a lock cannot be copied; the per-trial samplers need not
        del state["_lock"]
        state["_samplers"] = OrderedDict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._for(trial).before_trial(study, trial)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._for(trial).after_trial(study, trial, state, values)
        with self._lock:
            self._samplers.pop(trial.number, None)

    def reseed_rng(self) -> None:
        self._seeds.reseed()

    def __repr__(self) -> str:
        name = self._name or repr(self._factory)
        return f"PerTrialSeededSampler({name}, seed={self._seeds.seed})"


def create_inner_sampler(name: str, seed: int | None = None) -> BaseSampler:
    """The hyperparameter sampler ``name`` (``"tpe"`` or ``"random"``), seeded per trial.

    Raises:
        ConfigError: an unknown name; the message lists the known ones.
    """
    key = str(name).strip().lower()
    if key not in INNER_SAMPLERS:
        raise ConfigError(
            f"Unknown inner sampler {name!r}; use one of {', '.join(INNER_SAMPLERS)}."
        )
    return PerTrialSeededSampler(INNER_SAMPLERS[key], seed, key)
