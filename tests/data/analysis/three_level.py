"""A three-level model: Top (depth 0) -> Block and head (depth 1) -> Linear and ReLU (depth 2)."""

import sys

import torch
from torch import nn

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin = nn.Linear(n, n)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.lin(x))


class Top(nn.Module):
    def __init__(self, n=6):
        super().__init__()
        self.block = Block(n)
        self.head = nn.Linear(n, 2)

    def forward(self, x):
        return self.head(self.block(self.block(x)))  # the same block twice per call


top = Top()
calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1
for _ in range(calls):
    out = top(torch.rand(3, 6))
print("three_level out", tuple(out.shape))
