"""torchsearch's Hydra configs (installed as ``torchsearch.conf``); importing it registers
the resolvers they use and the schema they extend, so a config composed by the command
line, by Hydra's compose API or by a test resolves and type-checks the same."""

from torchsearch._resolvers import register_resolvers
from torchsearch._schema import register_schema

register_resolvers()
register_schema()
