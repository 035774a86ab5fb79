"""``python -m torchsearch.blocks``: list the installed blocks."""

from __future__ import annotations

import sys

from torchsearch.blocks._listing import main

sys.exit(main())
