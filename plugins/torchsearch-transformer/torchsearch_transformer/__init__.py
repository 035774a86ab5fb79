"""torchsearch-transformer: attention blocks for torchsearch, installed as a plugin.

``pip install`` registers the blocks through the entry-point group ``torchsearch.blocks``
(see pyproject.toml), so torchsearch finds them by name with no import of this package:
``torchsearch.create_block("TRANSFORMER_ENCODER_64")``. The classes are exported for
subclassing and for settings overrides; the code is in ``_impl.py``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from torchsearch_transformer._impl import BLOCK_VARIANTS
from torchsearch_transformer._impl import LearnedPositionalEncoding
from torchsearch_transformer._impl import PositionalEncoding
from torchsearch_transformer._impl import SelfAttention
from torchsearch_transformer._impl import SequenceTooLongError
from torchsearch_transformer._impl import TransformerEncoder
from torchsearch_transformer._impl import TunableTransformerEncoder
from torchsearch_transformer._impl import sinusoidal_table

try:
    __version__ = _version("torchsearch-transformer")
except PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "BLOCK_VARIANTS",
    "LearnedPositionalEncoding",
    "PositionalEncoding",
    "SelfAttention",
    "SequenceTooLongError",
    "TransformerEncoder",
    "TunableTransformerEncoder",
    "__version__",
    "sinusoidal_table",
]
