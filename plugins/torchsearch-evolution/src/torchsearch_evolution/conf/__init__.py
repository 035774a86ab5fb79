"""Hydra configs shipped with torchsearch-evolution (found as ``pkg://torchsearch_evolution.conf``)."""
