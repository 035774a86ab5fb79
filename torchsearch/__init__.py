"""torchsearch: neural architecture search for PyTorch, after Google's Model Search.

The public API: the plugin registries (``list_blocks``, ``create_block``,
``block_provider``, ``list_datasets``, ``list_searchers``), architectures and building
them into ``nn.Module`` s. The search itself runs from the ``torchsearch`` command
(``torchsearch.driver.run_search`` underneath).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError
from torchsearch._errors import DuplicateBlockError
from torchsearch._errors import PluginError
from torchsearch._errors import StorageError
from torchsearch._errors import StorageLostError
from torchsearch._errors import TorchSearchError
from torchsearch._errors import UnknownBlockError

if TYPE_CHECKING:  # imported on first use (below), so the command starts fast
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
    from torchsearch.predict import ModelFileError
    from torchsearch.predict import Predictor
    from torchsearch.predict import load_model
    from torchsearch.search import list_searchers
    from torchsearch.space import Architecture
    from torchsearch.space import CandidateModel
    from torchsearch.space import ProblemType
    from torchsearch.space import build_model
    from torchsearch.space import fix_architecture_order
    from torchsearch.space import increase_structure_depth

_LAZY = {
    **dict.fromkeys(
        (
            "Block",
            "BlockProvider",
            "BlockVariant",
            "BuiltBlock",
            "InputKind",
            "TensorSpec",
            "block_provider",
            "create_block",
            "list_blocks",
        ),
        "torchsearch.blocks",
    ),
    "list_datasets": "torchsearch.data",
    "list_searchers": "torchsearch.search",
    **dict.fromkeys(("ModelFileError", "Predictor", "load_model"), "torchsearch.predict"),
    **dict.fromkeys(
        (
            "Architecture",
            "CandidateModel",
            "ProblemType",
            "build_model",
            "fix_architecture_order",
            "increase_structure_depth",
        ),
        "torchsearch.space",
    ),
}
"""Public names that import torch, by the module that defines them: importing
``torchsearch`` (and so its command) stays light until one of them is used."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'torchsearch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    "ModelFileError",
    "PluginError",
    "Predictor",
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
    "load_model",
]
