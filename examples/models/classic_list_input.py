# labels: name::list_input author::torch task::feature_extraction family::classic
"""
A plain-PyTorch feature-pyramid fusion model whose single argument is a list of tensors (three
feature maps of different resolutions, as a backbone returns them); each is projected to 16
channels, upsampled to the finest resolution and summed. Random weights.

Called as model([p3, p4, p5]), eval mode, torch.no_grad().
Run: python classic_list_input.py  |  benchit examples/models/classic_list_input.py
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class PyramidFusion(nn.Module):
    def __init__(self, in_channels=(8, 16, 32), out_channels=16):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, out_channels, 1) for c in in_channels])
        self.smooth = nn.Conv2d(out_channels, out_channels, 3, padding=1)

    def forward(self, features):
        size = features[0].shape[-2:]
        fused = sum(
            F.interpolate(conv(f), size=size, mode="nearest") for conv, f in zip(self.lateral, features)
        )
        return self.smooth(fused)


model = PyramidFusion()
model.eval()

features = [torch.randn(1, 8, 32, 32), torch.randn(1, 16, 16, 16), torch.randn(1, 32, 8, 8)]

with torch.no_grad():
    fused = model(features)

print(f"fused: {tuple(fused.shape)}")
