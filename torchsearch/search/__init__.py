"""Search algorithms: Model Search's proposal logic, and the Optuna samplers around it.

Each ``propose_*`` function turns the completed trials into the next tower to train
(Model Search's adaptive coordinate descent, its constrained variant, random search),
free of Optuna and of training. Selection (``rank``, ``choose_parent``) and mutation
(``random_tower``, ``replace_one``, ``grow``) are separate steps, each taking an explicit
``random.Random``.

The Optuna layer: an :class:`ArchitectureSampler` calls one of them for each trial and
writes the decision as the trial's record (:mod:`torchsearch.trials`); the
hyperparameters are ordinary Optuna params of a :class:`HyperparameterSpace`, drawn by an
inner sampler (TPE by default). Searchers are plugins of the entry-point group
``torchsearch.searchers`` (:func:`list_searchers`, :func:`create_sampler`).
"""

from __future__ import annotations

from torchsearch.search._algorithms import ConstrainedDescentSampler
from torchsearch.search._algorithms import CoordinateDescentSampler
from torchsearch.search._algorithms import RandomArchitectureSampler
from torchsearch.search._constrained_descent import ConstrainedSettings
from torchsearch.search._constrained_descent import cell_allowed_depth
from torchsearch.search._constrained_descent import is_reduction_block
from torchsearch.search._constrained_descent import propose_constrained_descent
from torchsearch.search._coordinate_descent import MODEL_SEARCH_DESCENT
from torchsearch.search._coordinate_descent import DescentOptions
from torchsearch.search._coordinate_descent import propose_coordinate_descent
from torchsearch.search._depth import allowed_depth
from torchsearch.search._depth import default_depth_thresholds
from torchsearch.search._hparams import DROPOUT_OFF
from torchsearch.search._hparams import EXPONENTIAL_DECAY_RATE
from torchsearch.search._hparams import EXPONENTIAL_DECAY_TIMES
from torchsearch.search._hparams import GRADIENT_MAX_NORM
from torchsearch.search._hparams import L2_REGULARIZATION
from torchsearch.search._hparams import LEARNING_RATE
from torchsearch.search._hparams import OPTIMIZER
from torchsearch.search._hparams import HyperparameterSpace
from torchsearch.search._hparams import decay_steps
from torchsearch.search._lineage import ancestors
from torchsearch.search._lineage import block_ages
from torchsearch.search._mutation import ImmutableTowerError
from torchsearch.search._mutation import grow
from torchsearch.search._mutation import random_block
from torchsearch.search._mutation import random_tower
from torchsearch.search._mutation import replace_one
from torchsearch.search._prepare import prepare_trial
from torchsearch.search._proposal import Operation
from torchsearch.search._proposal import Proposal
from torchsearch.search._proposal import Proposer
from torchsearch.search._random_search import propose_random
from torchsearch.search._sampler import ArchitectureSampler
from torchsearch.search._sampler import parse_architecture
from torchsearch.search._sampler import proposal_of
from torchsearch.search._searchers import SEARCHER_GROUP
from torchsearch.search._searchers import create_sampler
from torchsearch.search._searchers import get_searcher
from torchsearch.search._searchers import list_searchers
from torchsearch.search._searchers import refresh_searchers
from torchsearch.search._searchers import searcher_provider
from torchsearch.search._seeding import INNER_SAMPLERS
from torchsearch.search._seeding import create_inner_sampler
from torchsearch.search._selection import choose_parent
from torchsearch.search._selection import speed_ranked
from torchsearch.search._settings import SearchSettings
from torchsearch.trials import CompletedTrial
from torchsearch.trials import rank

__all__ = [
    "DROPOUT_OFF",
    "EXPONENTIAL_DECAY_RATE",
    "EXPONENTIAL_DECAY_TIMES",
    "GRADIENT_MAX_NORM",
    "INNER_SAMPLERS",
    "L2_REGULARIZATION",
    "LEARNING_RATE",
    "MODEL_SEARCH_DESCENT",
    "OPTIMIZER",
    "SEARCHER_GROUP",
    "ArchitectureSampler",
    "CompletedTrial",
    "ConstrainedDescentSampler",
    "ConstrainedSettings",
    "CoordinateDescentSampler",
    "DescentOptions",
    "HyperparameterSpace",
    "ImmutableTowerError",
    "Operation",
    "Proposal",
    "Proposer",
    "RandomArchitectureSampler",
    "SearchSettings",
    "allowed_depth",
    "ancestors",
    "block_ages",
    "cell_allowed_depth",
    "choose_parent",
    "create_inner_sampler",
    "create_sampler",
    "decay_steps",
    "default_depth_thresholds",
    "get_searcher",
    "grow",
    "is_reduction_block",
    "list_searchers",
    "parse_architecture",
    "prepare_trial",
    "proposal_of",
    "propose_constrained_descent",
    "propose_coordinate_descent",
    "propose_random",
    "random_block",
    "random_tower",
    "rank",
    "refresh_searchers",
    "replace_one",
    "searcher_provider",
    "speed_ranked",
]
