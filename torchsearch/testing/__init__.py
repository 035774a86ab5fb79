"""Test helpers for torchsearch and its plugins: toy blocks and conformance suites.

``ArchitectureSamplerTests`` is the suite a searcher plugin subclasses; ``toy_registry``
is a tiny in-memory block catalogue, so tests need no installed plugins. Importing this
package needs pytest.
"""

from __future__ import annotations

from torchsearch.testing._blocks import TOY_CONV_BLOCKS
from torchsearch.testing._blocks import TOY_DENSE_BLOCKS
from torchsearch.testing._blocks import TOY_REDUCTION
from torchsearch.testing._blocks import TOY_TUNABLE
from torchsearch.testing._blocks import ToyConv
from torchsearch.testing._blocks import ToyDense
from torchsearch.testing._blocks import ToyFlatten
from torchsearch.testing._blocks import ToyTunable
from torchsearch.testing._blocks import toy_registry
from torchsearch.testing._sampler_suite import ArchitectureSamplerTests
from torchsearch.testing._sampler_suite import SamplerFactory
from torchsearch.testing._sampler_suite import StorageCase

__all__ = [
    "TOY_CONV_BLOCKS",
    "TOY_DENSE_BLOCKS",
    "TOY_REDUCTION",
    "TOY_TUNABLE",
    "ArchitectureSamplerTests",
    "SamplerFactory",
    "StorageCase",
    "ToyConv",
    "ToyDense",
    "ToyFlatten",
    "ToyTunable",
    "toy_registry",
]
