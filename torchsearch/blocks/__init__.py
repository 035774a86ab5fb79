"""Blocks: the Block contract and the registry of installed blocks.

Every block, Model Search's catalogue included, is registered through the entry-point
group ``torchsearch.blocks``; ``pip install`` of a plugin adds blocks with no change here.
"""

from __future__ import annotations

from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import BuiltBlock
from torchsearch.blocks._contract import Choice
from torchsearch.blocks._contract import FloatRange
from torchsearch.blocks._contract import Hyperparameter
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import IntRange
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._registry import ENTRY_POINT_GROUP
from torchsearch.blocks._registry import BlockProvider
from torchsearch.blocks._registry import BlockRegistry
from torchsearch.blocks._registry import PluginLoadWarning
from torchsearch.blocks._registry import block_provider
from torchsearch.blocks._registry import create_block
from torchsearch.blocks._registry import get_registry
from torchsearch.blocks._registry import list_blocks
from torchsearch.blocks._registry import refresh_registry

__all__ = [
    "ENTRY_POINT_GROUP",
    "Block",
    "BlockProvider",
    "BlockRegistry",
    "BlockVariant",
    "BuiltBlock",
    "Choice",
    "FloatRange",
    "Hyperparameter",
    "InputKind",
    "IntRange",
    "PluginLoadWarning",
    "TensorSpec",
    "block_provider",
    "create_block",
    "get_registry",
    "list_blocks",
    "refresh_registry",
]
