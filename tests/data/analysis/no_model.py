"""Imports torch and builds a model but never calls it."""

import torch

model = torch.nn.Linear(3, 2)
print("never called")
