"""Checks that an uninstalled plugin's blocks are gone: ``python check_uninstalled.py DIST``."""

from __future__ import annotations

import sys

import torchsearch
from torchsearch.blocks import get_registry


def main(distribution: str) -> int:
    registry = get_registry()
    left = [
        n for n in torchsearch.list_blocks() if registry.provider(n).distribution == distribution
    ]
    if left:
        print(f"{distribution} is uninstalled but still provides {left}", file=sys.stderr)
        return 1
    print(
        f"{distribution} uninstalled: {len(torchsearch.list_blocks())} blocks remain, none from it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
