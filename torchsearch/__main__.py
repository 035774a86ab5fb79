"""``python -m torchsearch``: the same as the ``torchsearch`` command."""

from __future__ import annotations

from torchsearch._cli import main

main()
