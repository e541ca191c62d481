"""A model with 4 MB of weights: too big for the small filesystem of the full-disk test."""
import torch

model = torch.nn.Linear(1024, 1024)
model(torch.ones(1, 1024))
