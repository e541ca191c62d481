# labels: kind::crash
"""Raises after calling a model: the model is still reported, the script's error becomes one line."""
import torch

model = torch.nn.Linear(3, 2)
model(torch.ones(1, 3))
raise RuntimeError("this script crashes on purpose")
