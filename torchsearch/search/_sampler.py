"""The search as an Optuna sampler: an architecture per trial, hyperparameters from TPE.

The architecture is not an Optuna param (a categorical's choices may never change within
a study, so installing a block plugin would break a running one):
:meth:`ArchitectureSampler.sample_relative` decides it, writes it as the first part of
the trial's record (:class:`torchsearch.trials.RecordWriter`) and returns it in
``trial.relative_params``, where :func:`proposal_of` reads it. Every Optuna param (the
hyperparameters) goes to the inner sampler, TPE by default, as Model Search used a
Bayesian oracle.

Call order (docs/library_notes.md, "Optuna"): ``before_trial`` →
``infer_relative_search_space`` → ``sample_relative`` (lazily, at the first ``suggest_*``
or ``relative_params``) → ``sample_independent`` per param → ``after_trial``.
"""

from __future__ import annotations

import abc
import inspect
import random
import threading
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch._errors import ConfigError
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.search._proposal import Proposal
from torchsearch.search._seeding import TrialSeeds
from torchsearch.search._seeding import create_inner_sampler
from torchsearch.search._settings import SearchSettings
from torchsearch.space import Architecture
from torchsearch.space import ProblemType
from torchsearch.space import fix_architecture_order
from torchsearch.trials import SUGGESTED
from torchsearch.trials import CompletedTrial
from torchsearch.trials import Key
from torchsearch.trials import RecordWriter
from torchsearch.trials import TrialKind
from torchsearch.trials import TrialProposal
from torchsearch.trials import completed_trials
from torchsearch.trials import oversized_towers
from torchsearch.trials import read_proposal

__all__ = ["COMMON_ARGUMENTS", "ArchitectureSampler", "parse_architecture", "proposal_of"]

COMMON_ARGUMENTS = ("inner", "seed", "suggestions", "registry")
"""Constructor arguments every :class:`ArchitectureSampler` takes; the others are options."""

MAX_REDRAWS = 20
"""Draws after the first when a proposal is a tower already rejected for its size; the
last draw stands (it is counted and rejected again, never built) so a space with nothing
else to offer ends in the driver's rejection-streak error, not a loop."""


class ArchitectureSampler(BaseSampler, abc.ABC):
    """An Optuna sampler that proposes each trial's architecture; the plugin contract.

    A search algorithm implements :meth:`propose` alone; this class does the rest. For
    trial ``k`` it proposes, in order of precedence:

    1. the architecture the trial's record already holds: an enqueued trial's (kind and
       parent read alongside), a retried trial's, or the proposal made for a second
       ``Trial`` object of the same trial;
    2. suggestion ``k`` when ``k < len(suggestions)``, exactly, in CNN order, kind
       ``"suggestion"``, as Model Search's user suggestions. Trial numbers are global to
       the study, so with several workers each suggestion is trained once, by whichever
       worker gets its number; an enqueued trial that takes such a number displaces it;
    3. ``propose(completed_trials(study), rng)``, kind ``"search"``; a tower that an
       earlier trial showed to be over ``space.max_parameters`` is drawn again (up to
       :data:`MAX_REDRAWS` times) from the same stream.

    The decision is written as the trial's record (architecture, parent, kind, operation,
    the new block; see :mod:`torchsearch.trials`), so it lives in the storage, and
    returned as ``relative_params``; no param is added.
    The draws for trial ``k`` come from a stream seeded by ``(seed, k)`` (see
    ``_seeding``). Hyperparameters are left to ``inner``; a suggestion's (or an enqueued
    architecture's) hyperparameter values are returned for their params when they fit.

    Subclasses declare their options as keyword arguments and pass the rest on::

        def __init__(self, settings, *, population_size: int = 20, **kwargs): ...

    Args:
        settings: the search settings; ``direction`` must be the study's.
        inner: the hyperparameter sampler; ``None`` for TPE seeded per trial.
        seed: the base seed; ``None`` for OS entropy.
        suggestions: architectures to train first, in order.
        registry: where to look blocks up; the installed registry by default.
        **options: left-over options; any is an error naming the accepted ones.

    Raises:
        ConfigError: an unknown option.
    """

    def __init__(
        self,
        settings: SearchSettings,
        *,
        inner: BaseSampler | None = None,
        seed: int | None = None,
        suggestions: Sequence[Architecture | Mapping[str, Any]] = (),
        registry: BlockRegistry | None = None,
        **options: Any,
    ) -> None:
        if options:
            accepted = ", ".join(type(self).options()) or "none"
            raise ConfigError(
                f"{type(self).__name__} has no option(s) {', '.join(sorted(options))}; "
                f"it accepts: {accepted}."
            )
        if not isinstance(settings, SearchSettings):
            raise ConfigError(f"settings must be SearchSettings, got {type(settings).__name__}.")
        self._settings = settings
        self._inner = create_inner_sampler("tpe", seed) if inner is None else inner
        self._seeds = TrialSeeds(seed)
        self._given_suggestions = tuple(parse_architecture(s) for s in suggestions)
        self._suggestions: tuple[Architecture, ...] | None = None
        self._registry = registry
        self._overrides: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @abc.abstractmethod
    def propose(self, completed: Sequence[CompletedTrial], rng: random.Random) -> Proposal:
        """The next search tower, from every completed search and suggestion trial.

        Called once per new trial, in any worker, with no memory of earlier calls: what
        the algorithm needs must come from ``completed`` (trials with their numbers,
        architectures and values, by number) and the settings.

        Args:
            completed: the completed trials, by trial number.
            rng: this trial's stream; draw only from it.
        """

    @classmethod
    def options(cls) -> dict[str, Any]:
        """The options this class accepts, with their defaults (``inspect.Parameter.empty``
        for a required one): the keyword arguments of its ``__init__`` and its bases'."""
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            init = klass.__dict__.get("__init__")
            if init is None or not issubclass(klass, ArchitectureSampler):
                continue
            for p in inspect.signature(init).parameters.values():
                keyword = p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                if keyword and p.name not in ("self", "settings", *COMMON_ARGUMENTS):
                    out[p.name] = p.default
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()  # a lock cannot be copied; in-flight overrides need not
        del state["_lock"]
        state["_overrides"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def settings(self) -> SearchSettings:
        """The search settings."""
        return self._settings

    @property
    def inner(self) -> BaseSampler:
        """The hyperparameter sampler."""
        return self._inner

    @property
    def seed(self) -> int | None:
        """The base seed given, ``None`` for OS entropy."""
        return self._seeds.seed

    @property
    def registry(self) -> BlockRegistry:
        """The block registry (the installed one, loaded on first use, by default)."""
        if self._registry is None:
            self._registry = get_registry()
        return self._registry

    @property
    def suggestions(self) -> tuple[Architecture, ...]:
        """The suggestions, checked and in CNN order (on first use)."""
        if self._suggestions is None:
            problem = self._settings.problem
            if problem is ProblemType.CNN:  # other towers keep their order
                self._suggestions = tuple(
                    Architecture(
                        tuple(fix_architecture_order(t, problem, self.registry) for t in s.towers),
                        s.hparams,
                    )
                    for s in self._given_suggestions
                )
            else:
                self._suggestions = self._given_suggestions
        return self._suggestions

    def rng(self, trial_number: int) -> random.Random:
        """Trial ``trial_number``'s random stream."""
        return self._seeds.rng(trial_number, type(self).__name__)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        proposal = read_proposal(trial)
        if proposal is None:
            proposal = self._decide(study, trial)
        # The storage as Optuna's own samplers reach it; only what differs is written.
        RecordWriter(study._storage, trial._trial_id).proposal(proposal, trial)
        with self._lock:
            self._overrides[trial._trial_id] = dict(proposal.architecture.hparams)
        return proposal.to_dict()

    def _decide(self, study: optuna.Study, trial: FrozenTrial) -> TrialProposal:
        direction = study.direction.name.lower()
        if direction != self._settings.direction:
            raise ConfigError(
                f"The study {study.study_name!r} should {direction} but the search settings "
                f"{self._settings.direction}; give both the same direction."
            )
        if trial.number < len(self.suggestions):
            return TrialProposal(
                self.suggestions[trial.number], None, SUGGESTED, TrialKind.SUGGESTION.value
            )
        # One read for both: the completed trials, and the towers rejected for their size,
        # which are drawn again rather than proposed (and rejected) as they are.
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        completed = completed_trials(study, registry=self.registry, trials=trials)
        oversized = oversized_towers(trials)
        rng = self.rng(trial.number)
        proposal = self.propose(completed, rng)
        for _ in range(MAX_REDRAWS):
            if tuple(proposal.tower) not in oversized:
                break
            proposal = self.propose(completed, rng)
        return TrialProposal(
            Architecture.single(proposal.tower, **proposal.hparams),
            proposal.parent,
            proposal.operation.value,
            TrialKind.SEARCH.value,
            proposal.new_block,
        )

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock:
            overrides = self._overrides.get(trial._trial_id, {})
        if param_name in overrides:
            value = overrides[param_name]
            try:
                if param_distribution._contains(param_distribution.to_internal_repr(value)):
                    return value
            except (TypeError, ValueError):
                pass  # not a value of this distribution: sample it; the driver lays it over
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._inner.before_trial(study, trial)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        with self._lock:
            self._overrides.pop(trial._trial_id, None)
        self._inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._seeds.reseed()
        self._inner.reseed_rng()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed}, inner={self._inner!r})"


def proposal_of(trial: optuna.Trial) -> TrialProposal:
    """The architecture an :class:`ArchitectureSampler` proposed for ``trial``.

    Reads ``trial.relative_params`` (docs/library_notes.md, "Optuna"), which makes the
    sampler decide if it has not yet. Lay the hyperparameters over with
    :meth:`TrialProposal.merged`.

    Raises:
        ConfigError: the study's sampler is not an :class:`ArchitectureSampler`.
    """
    params = trial.relative_params
    if Key.ARCHITECTURE.value not in params:
        raise ConfigError(
            f"Trial {trial.number} has no proposed architecture: the study's sampler is "
            f"{type(trial.study.sampler).__name__}, not an ArchitectureSampler; create the "
            "study with torchsearch.search.create_sampler(...)."
        )
    return TrialProposal.from_dict(params)


def parse_architecture(value: object) -> Architecture:
    """An :class:`Architecture` from one, from a space config's suggestion entry
    ``{"blocks": [...], "hparams": {...}}``, from ``{"towers": ..., "hparams": ...}`` or
    from a list of block names.

    Raises:
        ConfigError: ``value`` is none of these.
    """
    if isinstance(value, Architecture):
        return value
    if isinstance(value, Mapping) and "blocks" in value:
        unknown = sorted(set(value) - {"blocks", "hparams"})
        if unknown:
            raise ConfigError(f"Unknown suggestion key(s) {unknown}; use blocks and hparams.")
        return Architecture.single(value["blocks"], **dict(value.get("hparams") or {}))
    return Architecture.from_dict(value)  # type: ignore[arg-type]
