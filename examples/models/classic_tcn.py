# labels: name::tcn author::torch task::sequence_classification family::classic
"""
A temporal convolutional network in plain PyTorch: 3 residual blocks of causal, dilated Conv1d
(dilations 1, 2, 4) with weight normalization (torch.nn.utils.parametrizations.weight_norm, as in
the TCN paper), then a Linear over 5 classes. Random weights.

Called on a batch of 2 sequences of 4 channels and 100 steps, eval mode, torch.no_grad().
Run: python classic_tcn.py  |  benchit examples/models/classic_tcn.py
"""

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(0)


class TemporalBlock(nn.Module):
    def __init__(self, cin, cout, kernel_size, dilation):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv1 = weight_norm(nn.Conv1d(cin, cout, kernel_size, dilation=dilation, padding=self.pad))
        self.conv2 = weight_norm(nn.Conv1d(cout, cout, kernel_size, dilation=dilation, padding=self.pad))
        self.dropout = nn.Dropout(0.1)
        self.downsample = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        y = self.dropout(torch.relu(self.conv1(x)[..., : -self.pad]))  # chomp: keep the convolution causal
        y = self.dropout(torch.relu(self.conv2(y)[..., : -self.pad]))
        return torch.relu(y + self.downsample(x))


class TCN(nn.Module):
    def __init__(self, channels=4, hidden=16, num_classes=5, kernel_size=3):
        super().__init__()
        self.blocks = nn.Sequential(
            TemporalBlock(channels, hidden, kernel_size, 1),
            TemporalBlock(hidden, hidden, kernel_size, 2),
            TemporalBlock(hidden, hidden, kernel_size, 4),
        )
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.head(self.blocks(x)[:, :, -1])


model = TCN()
model.eval()

sequences = torch.randn(2, 4, 100)

with torch.no_grad():
    logits = model(sequences)

print(f"logits: {tuple(logits.shape)}")
