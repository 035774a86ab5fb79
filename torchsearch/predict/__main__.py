"""``python -m torchsearch.predict MODEL INPUTS``: the same as ``torchsearch-predict``."""

from torchsearch.predict._command import main

main()
