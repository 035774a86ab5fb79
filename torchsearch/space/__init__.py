"""Search spaces: architectures, the CNN ordering rule, and building ``nn.Module`` s."""

from __future__ import annotations

from torchsearch.space._architecture import Architecture
from torchsearch.space._architecture import JSONScalar
from torchsearch.space._architecture import ProblemType
from torchsearch.space._build import DROPOUT_HPARAM
from torchsearch.space._build import BlockSummary
from torchsearch.space._build import CandidateModel
from torchsearch.space._build import Tower
from torchsearch.space._build import block_keys
from torchsearch.space._build import build_model
from torchsearch.space._build import count_parameters
from torchsearch.space._build import last_valid_step
from torchsearch.space._hyperparameters import EXPONENTIAL_DECAY_TIMES
from torchsearch.space._hyperparameters import OPTIMIZERS
from torchsearch.space._hyperparameters import Hyperparameters
from torchsearch.space._hyperparameters import decay_steps
from torchsearch.space._ordering import DEFAULT_FLATTEN
from torchsearch.space._ordering import fix_architecture_order
from torchsearch.space._ordering import flatten_index
from torchsearch.space._ordering import increase_structure_depth

__all__ = [
    "DEFAULT_FLATTEN",
    "DROPOUT_HPARAM",
    "EXPONENTIAL_DECAY_TIMES",
    "OPTIMIZERS",
    "Architecture",
    "BlockSummary",
    "CandidateModel",
    "Hyperparameters",
    "JSONScalar",
    "ProblemType",
    "Tower",
    "block_keys",
    "build_model",
    "count_parameters",
    "decay_steps",
    "fix_architecture_order",
    "flatten_index",
    "increase_structure_depth",
    "last_valid_step",
]
