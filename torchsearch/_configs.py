"""Config files from plugins: a package adds config options (``data=NAME``,
``search=NAME``...) by declaring where its Hydra configs live in the entry-point group
``torchsearch.configs``::

    [project.entry-points."torchsearch.configs"]
    my-package = "my_package.conf"      # holds data/NAME.yaml, search/NAME.yaml, ...

torchsearch's root config puts every such package on Hydra's search path
(``hydra.searchpath: ${plugin_config_paths:}``), so a plugin needs no Hydra plugin of its
own. Only installed metadata is read until a file is looked for.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
from dataclasses import dataclass

from torchsearch._errors import ConfigError

__all__ = [
    "CONFIG_ENTRY_POINT_GROUP",
    "DATASET_ENTRY_POINT_GROUP",
    "PLUGIN_OPTIONS",
    "SEARCHER_ENTRY_POINT_GROUP",
    "ConfigPackage",
    "check_plugin_option",
    "config_names",
    "config_packages",
    "find_config",
    "plugin_config_paths",
]

CONFIG_ENTRY_POINT_GROUP = "torchsearch.configs"
BUILTIN_CONFIGS = "torchsearch.conf"
DATASET_ENTRY_POINT_GROUP = "torchsearch.datasets"
SEARCHER_ENTRY_POINT_GROUP = "torchsearch.searchers"
PLUGIN_OPTIONS = {
    "data": ("data set", DATASET_ENTRY_POINT_GROUP),
    "search": ("searcher", SEARCHER_ENTRY_POINT_GROUP),
}
"""The config groups whose options are plugins: what a plugin is there, and its group."""


@dataclass(frozen=True)
class ConfigPackage:
    """A package of Hydra config groups, and the distribution that ships it."""

    module: str
    distribution: str


def config_packages() -> list[ConfigPackage]:
    """torchsearch's own configs, then every plugin's, by distribution name."""
    found = {
        (ep.value.strip(), ep.dist.name if ep.dist else "?")
        for ep in importlib.metadata.entry_points(group=CONFIG_ENTRY_POINT_GROUP)
    }
    plugins = [ConfigPackage(m, d) for m, d in sorted(found, key=lambda x: (x[1], x[0]))]
    return [ConfigPackage(BUILTIN_CONFIGS, "torchsearch"), *plugins]


def plugin_config_paths() -> list[str]:
    """Hydra search-path entries (``pkg://module``) of the plugins' config packages."""
    return [f"pkg://{p.module}" for p in config_packages() if p.module != BUILTIN_CONFIGS]


def find_config(group: str, name: str) -> ConfigPackage | None:
    """The package that ships ``<group>/<name>.yaml``, or ``None``."""
    for package in config_packages():
        try:
            if (importlib.resources.files(package.module) / group / f"{name}.yaml").is_file():
                return package
        except (ImportError, TypeError, OSError):  # a broken plugin ships nothing usable
            continue
    return None


def config_names(group: str) -> list[str]:
    """Every ``<group>/<name>.yaml`` name any config package ships, sorted."""
    names: set[str] = set()
    for package in config_packages():
        try:
            folder = importlib.resources.files(package.module) / group
            if folder.is_dir():
                names |= {f.name[:-5] for f in folder.iterdir() if f.name.endswith(".yaml")}
        except (ImportError, TypeError, OSError):
            continue
    return sorted(names)


def check_plugin_option(group: str, name: str) -> None:
    """Checks that ``group=name`` (``data=NAME``, ``search=NAME``) has a config to compose,
    before Hydra looks for it.

    Raises:
        ConfigError: no config package ships ``<group>/<name>.yaml``; the message says
            whether a plugin registers ``name`` without one, and the fix.
    """
    if group not in PLUGIN_OPTIONS or find_config(group, name) is not None:
        return
    kind, entry_point_group = PLUGIN_OPTIONS[group]
    registered = {
        ep.name: ep.dist.name if ep.dist else "?"
        for ep in importlib.metadata.entry_points(group=entry_point_group)
    }
    if name in registered:
        raise ConfigError(
            f"{group}={name}: the {kind} {name!r} is installed (by {registered[name]}) but no "
            f"config package ships {group}/{name}.yaml, so it cannot be chosen; its package "
            f'should ship one and declare it: [project.entry-points."{CONFIG_ENTRY_POINT_GROUP}"] '
            f'{registered[name]} = "<package>.conf" (README.md, "Plugins as options").'
        )
    choices = ", ".join(config_names(group)) or "none"
    raise ConfigError(
        f"{group}={name} is not an installed {kind}; choose one of: {choices} "
        "(torchsearch-plugins lists them with their providers)."
    )
