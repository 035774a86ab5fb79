"""Builds a small CNN from Model Search blocks and trains it for a few steps on noise.

Run: ``python examples/build_a_model.py``. Shows the public API of the foundation:
the CNN ordering rule, building, the per-block summary and stable parameter names.
"""

from __future__ import annotations

import torch

import torchsearch
from torchsearch import Architecture
from torchsearch import TensorSpec


def main() -> None:
    torch.manual_seed(0)
    tower = torchsearch.fix_architecture_order(
        ["FULLY_CONNECTED", "CONVOLUTION_3X3", "DOWNSAMPLE_CONVOLUTION_3X3"], "cnn"
    )
    arch = Architecture.single(tower, dropout_rate=0.1)
    model = torchsearch.build_model(arch, TensorSpec.image(1, 8, 8), num_classes=10, problem="cnn")
    print(f"{len(torchsearch.list_blocks())} blocks installed; architecture: {arch}")
    for row in model.summary():
        print(
            f"  {row.key:<34} {row.input!s:>16} -> {row.output!s:<16} {row.parameters:>7} params"
        )
    print(f"  {model.num_parameters} trainable parameters")

    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(20):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 5 == 0 or step == 19:
            print(f"  step {step:2d}  loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
