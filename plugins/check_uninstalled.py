"""Checks that an uninstalled plugin left nothing behind: ``python check_uninstalled.py DIST``.

Looks through every torchsearch registry (blocks, searchers, data sets) for a name the
distribution still provides.
"""

from __future__ import annotations

import sys

from torchsearch.blocks import get_registry
from torchsearch.data import dataset_provider
from torchsearch.data import list_datasets
from torchsearch.search import list_searchers
from torchsearch.search import searcher_provider


def main(distribution: str) -> int:
    blocks = get_registry()
    providers = {
        "block": {n: blocks.provider(n) for n in blocks.names()},
        "searcher": {n: searcher_provider(n) for n in list_searchers()},
        "data set": {n: dataset_provider(n) for n in list_datasets()},
    }
    left = [
        f"{kind} {name}"
        for kind, by_name in providers.items()
        for name, provider in by_name.items()
        if provider.distribution == distribution
    ]
    if left:
        print(f"{distribution} is uninstalled but still provides {left}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(v)} {k}s" for k, v in providers.items())
    print(f"{distribution} uninstalled: {counts} remain, none from it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
