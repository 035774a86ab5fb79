"""The OmegaConf resolvers torchsearch's configs use, registered in one place: by the
config package itself (``torchsearch.conf``), by the command and by the driver, so a
config composed by any of them resolves the same."""

from __future__ import annotations

from omegaconf import OmegaConf

from torchsearch._configs import plugin_config_paths
from torchsearch._names import check_study_name
from torchsearch._names import data_tag

__all__ = ["register_resolvers"]


def register_resolvers() -> None:
    """``study_folder`` (the run folder, checked before Hydra creates it), ``data_tag``
    (the data's part of the default study name) and ``plugin_config_paths`` (the plugins'
    config packages, for ``hydra.searchpath``). Idempotent."""
    OmegaConf.register_new_resolver("study_folder", check_study_name, replace=True)
    OmegaConf.register_new_resolver("data_tag", data_tag, replace=True)
    OmegaConf.register_new_resolver("plugin_config_paths", plugin_config_paths, replace=True)
