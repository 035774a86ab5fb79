"""The command-line listing of installed blocks: ``python -m torchsearch.blocks [PATTERN]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from torchsearch._errors import TorchSearchError
from torchsearch.blocks._registry import get_registry

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Prints one line per block: name, providing distribution, accepted inputs, role."""
    parser = argparse.ArgumentParser(
        prog="python -m torchsearch.blocks",
        description="List the blocks installed through the 'torchsearch.blocks' entry points.",
    )
    parser.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern, e.g. 'CONV*'")
    parser.add_argument("--provider", help="only blocks of this distribution")
    args = parser.parse_args(argv)
    try:
        registry = get_registry()
    except TorchSearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = []
    for name in registry.names(args.pattern):
        provider = registry.provider(name)
        if args.provider and provider.distribution != args.provider:
            continue
        block = registry.prototype(name)
        kinds = ",".join(sorted(k.value for k in block.input_kinds))
        role = (
            "flatten"
            if block.is_flatten
            else ("order-important" if block.is_input_order_important else "dense")
        )
        rows.append((name, f"{provider.distribution} {provider.version}", kinds, role))
    if not rows:
        print(f"No installed block matches {args.pattern!r}.", file=sys.stderr)
        return 1
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    print(f"{len(rows)} block(s)", file=sys.stderr)
    return 0
