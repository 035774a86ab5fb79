"""torchsearch: neural architecture search for PyTorch, after Google's Model Search.

The public API: the plugin registries (``list_blocks``, ``create_block``,
``block_provider``, ``list_datasets``, ``list_searchers``), architectures and building
them into ``nn.Module`` s. The search itself runs from the ``torchsearch`` command
(``torchsearch.driver.run_search`` underneath).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError
from torchsearch._errors import DuplicateBlockError
from torchsearch._errors import PluginError
from torchsearch._errors import StorageError
from torchsearch._errors import StorageLostError
from torchsearch._errors import TorchSearchError
from torchsearch._errors import UnknownBlockError
from torchsearch.blocks import Block
from torchsearch.blocks import BlockProvider
from torchsearch.blocks import BlockVariant
from torchsearch.blocks import BuiltBlock
from torchsearch.blocks import InputKind
from torchsearch.blocks import TensorSpec
from torchsearch.blocks import block_provider
from torchsearch.blocks import create_block
from torchsearch.blocks import list_blocks
from torchsearch.data import list_datasets
from torchsearch.search import list_searchers
from torchsearch.space import Architecture
from torchsearch.space import CandidateModel
from torchsearch.space import ProblemType
from torchsearch.space import build_model
from torchsearch.space import fix_architecture_order
from torchsearch.space import increase_structure_depth

try:
    __version__ = _version("torchsearch")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Architecture",
    "Block",
    "BlockProvider",
    "BlockVariant",
    "BuiltBlock",
    "CandidateModel",
    "ConfigError",
    "DataError",
    "DuplicateBlockError",
    "InputKind",
    "PluginError",
    "ProblemType",
    "StorageError",
    "StorageLostError",
    "TensorSpec",
    "TorchSearchError",
    "UnknownBlockError",
    "__version__",
    "block_provider",
    "build_model",
    "create_block",
    "fix_architecture_order",
    "increase_structure_depth",
    "list_blocks",
    "list_datasets",
    "list_searchers",
]
