# labels: name::good_mlp author::someone kind::good
"""A good script: a two-layer MLP."""
import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.ReLU(), torch.nn.Linear(12, 3))
print("good_mlp:", model(torch.ones(2, 6)).shape)
