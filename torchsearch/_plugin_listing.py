"""``torchsearch-plugins``: the installed searchers and data sets, who provides each, and
the config that makes it a command-line option (``search=NAME``, ``data=NAME``).

The sibling of ``torchsearch-blocks``. A plugin registered without a config is listed
with the fix, since Hydra cannot choose it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from collections.abc import Sequence

from torchsearch._configs import CONFIG_ENTRY_POINT_GROUP
from torchsearch._configs import config_packages
from torchsearch._configs import find_config
from torchsearch._errors import TorchSearchError
from torchsearch._plugins import Provider

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Prints one line per searcher and data set: name, distribution, config; then the
    config packages."""
    parser = argparse.ArgumentParser(
        prog="torchsearch-plugins",
        description="List the searchers and data sets installed through entry points, and "
        "the configs that make them options (search=NAME, data=NAME).",
    )
    parser.parse_args(argv)
    from torchsearch.data import dataset_provider
    from torchsearch.data import list_datasets
    from torchsearch.search import list_searchers
    from torchsearch.search import searcher_provider

    try:
        sections = [
            ("searchers", "search", list_searchers(), searcher_provider),
            ("data sets", "data", list_datasets(), dataset_provider),
        ]
        missing = 0
        for title, group, names, provider in sections:
            print(f"{title} ({group}=NAME):")
            missing += _print_rows(group, names, provider)
    except TorchSearchError as exc:
        print(f"torchsearch-plugins: error: {exc}", file=sys.stderr)
        return 1
    print(f"config packages (entry-point group {CONFIG_ENTRY_POINT_GROUP}):")
    for package in config_packages():
        print(f"  {package.module}  {package.distribution}")
    if missing:
        print(
            f"{missing} plugin(s) cannot be chosen on the command line: their package should "
            f"ship <group>/NAME.yaml in a config package declared in {CONFIG_ENTRY_POINT_GROUP} "
            "(README.md, 'Plugins as options').",
            file=sys.stderr,
        )
    return 0


def _print_rows(group: str, names: list[str], provider: Callable[[str], Provider]) -> int:
    """Prints the rows of one kind of plugin; returns how many have no config."""
    rows = []
    missing = 0
    for name in names:
        source = provider(name)
        config = find_config(group, name)
        if config is None:
            missing += 1
            where = f"no config: {group}/{name}.yaml is shipped by no config package"
        else:
            where = f"{group}/{name}.yaml ({config.distribution})"
        rows.append((name, f"{source.distribution} {source.version}", where))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(2)]
    for name, dist, where in rows:
        print(f"  {name:<{widths[0]}}  {dist:<{widths[1]}}  {where}")
    return missing
