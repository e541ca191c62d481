# labels: name::cnn_batch8 author::torch task::image_classification family::classic
"""
A LeNet-style CNN in plain PyTorch (two Conv-ReLU-MaxPool blocks, two Linear layers, Dropout)
for 28x28 grayscale digits, random weights.

Called on a batch of 8 images, eval mode, torch.no_grad().
Run: python classic_cnn_batch8.py  |  benchit examples/models/classic_cnn_batch8.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class LeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 64),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(64, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


model = LeNet()
model.eval()

images = torch.randn(8, 1, 28, 28)

with torch.no_grad():
    logits = model(images)

print(f"predicted digits: {logits.argmax(1).tolist()}")
