# labels: name::good_linear author::benchit kind::good
"""A good script: one small Linear model."""
import torch

torch.manual_seed(0)
model = torch.nn.Linear(8, 4)
print("good_linear:", model(torch.ones(1, 8)).shape)
