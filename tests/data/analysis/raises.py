"""Calls a model, then raises: the model is still reported (and built); the run fails."""

import torch

model = torch.nn.Linear(3, 2)
model(torch.rand(1, 3))
print("before the error")
raise ValueError("something went wrong in the script")
