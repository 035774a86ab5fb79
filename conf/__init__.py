"""torchsearch's Hydra configs (installed as ``torchsearch.conf``); importing it registers
the resolvers they use, so a config composed by the command line, by Hydra's compose API
or by a test resolves the same."""

from torchsearch._resolvers import register_resolvers

register_resolvers()
