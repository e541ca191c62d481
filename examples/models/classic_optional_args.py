# labels: name::optional_args author::torch task::image_classification family::classic
"""
A plain-PyTorch classifier whose forward takes optional arguments besides the tensor: a mask
that defaults to None, a Python float temperature and a bool that asks for the features too.
Random weights.

Called the way a user calls it: model(x, temperature=2.0, return_features=True) (mask left at
None), eval mode, torch.no_grad(); returns a tuple (probabilities, features).
Run: python classic_optional_args.py  |  benchit examples/models/classic_optional_args.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class TemperatureClassifier(nn.Module):
    def __init__(self, in_features=64, hidden=32, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x, mask=None, temperature=1.0, return_features=False):
        if mask is not None:
            x = x * mask
        features = self.body(x)
        probabilities = torch.softmax(self.head(features) / temperature, dim=-1)
        if return_features:
            return probabilities, features
        return probabilities


model = TemperatureClassifier()
model.eval()

x = torch.randn(5, 64)

with torch.no_grad():
    probabilities, features = model(x, temperature=2.0, return_features=True)

print(f"probabilities: {tuple(probabilities.shape)} features: {tuple(features.shape)}")
