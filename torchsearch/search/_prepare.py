"""One call for the driver: a trial's architecture, its hyperparameters, and its record.

The loop of DESIGN.md reads ``arch = the trial's architecture + hparams from the inner
sampler``; :func:`prepare_trial` is that line: the sampler's proposal
(:func:`proposal_of`), the hyperparameters of its blocks
(:meth:`HyperparameterSpace.suggest`), the proposal's own values laid over them
(a suggestion's, MODEL_SEARCH.md §2 row 25), all written as the trial record.
"""

from __future__ import annotations

import dataclasses

import optuna

from torchsearch.blocks import BlockRegistry
from torchsearch.search._hparams import HyperparameterSpace
from torchsearch.search._sampler import proposal_of
from torchsearch.search._trials import TrialProposal
from torchsearch.search._trials import record_trial

__all__ = ["prepare_trial"]


def prepare_trial(
    trial: optuna.Trial, space: HyperparameterSpace, registry: BlockRegistry | None = None
) -> TrialProposal:
    """Proposes, samples and records the architecture ``trial`` trains.

    Args:
        trial: a trial of a study whose sampler is an ``ArchitectureSampler``.
        space: the hyperparameter space.
        registry: where to look blocks up; the installed registry by default.

    Returns:
        The proposal, its architecture holding every hyperparameter; the same is stored
        in the trial's user attributes (``torchsearch.search._trials``).

    Raises:
        ConfigError: the study's sampler is not an ``ArchitectureSampler``.
    """
    proposal = proposal_of(trial)
    blocks = [b for tower in proposal.architecture.towers for b in tower]
    architecture = proposal.merged(space.suggest(trial, blocks, registry))
    record_trial(
        trial,
        architecture,
        kind=proposal.kind,
        parent=proposal.parent,
        operation=proposal.operation,
    )
    return dataclasses.replace(proposal, architecture=architecture)
