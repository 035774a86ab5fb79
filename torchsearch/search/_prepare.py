"""One call for the driver: a trial's architecture, its hyperparameters, and its record.

The loop in docs/architecture.md ("The loop") has the line
``arch = prepare_trial(trial, hparam_space)``, the trial's architecture plus
hyperparameters from the inner sampler: the sampler's proposal (:func:`proposal_of`),
the hyperparameters of its blocks (:meth:`HyperparameterSpace.suggest`), the proposal's
own values laid over them (a suggestion's), written to the trial's record.
"""

from __future__ import annotations

import dataclasses

import optuna

from torchsearch.blocks import BlockRegistry
from torchsearch.search._hparams import HyperparameterSpace
from torchsearch.search._sampler import proposal_of
from torchsearch.trials import RecordWriter
from torchsearch.trials import TrialProposal

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
        The proposal, its architecture holding every hyperparameter; the record's
        architecture (:mod:`torchsearch.trials`) is updated to the same.

    Raises:
        ConfigError: the study's sampler is not an ``ArchitectureSampler``.
    """
    proposal = proposal_of(trial)
    blocks = [b for tower in proposal.architecture.towers for b in tower]
    architecture = proposal.merged(space.suggest(trial, blocks, registry))
    if architecture != proposal.architecture:
        RecordWriter.of(trial).architecture(architecture)
    return dataclasses.replace(proposal, architecture=architecture)
