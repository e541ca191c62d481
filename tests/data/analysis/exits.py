"""Calls a model, then exits with a status: the model is still reported; the run fails."""

import sys

import torch

model = torch.nn.Linear(4, 2)
model(torch.rand(1, 4))
sys.exit(3)
