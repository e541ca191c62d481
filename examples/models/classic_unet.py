# labels: name::unet author::torch task::semantic_segmentation family::classic
"""
A small U-Net in plain PyTorch: 3 encoder levels (Conv-BatchNorm-ReLU x2, max pooling), a
bottleneck, 3 decoder levels (ConvTranspose2d upsampling, skip connections concatenated), and a
1x1 head over 3 classes, random weights.

Called on one 64x64 RGB image, eval mode, torch.no_grad(); prints the mask's shape.
Run: python classic_unet.py  |  benchit examples/models/classic_unet.py
"""

import torch
from torch import nn

torch.manual_seed(0)


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, in_channels=3, num_classes=3, width=8):
        super().__init__()
        w = [width, width * 2, width * 4, width * 8]
        self.down = nn.ModuleList([double_conv(in_channels, w[0]), double_conv(w[0], w[1]), double_conv(w[1], w[2])])
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(w[2], w[3])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in reversed(range(3))])
        self.up_conv = nn.ModuleList([double_conv(2 * w[i], w[i]) for i in reversed(range(3))])
        self.head = nn.Conv2d(w[0], num_classes, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, conv, skip in zip(self.up, self.up_conv, reversed(skips)):
            x = conv(torch.cat([up(x), skip], dim=1))
        return self.head(x)


model = UNet()
model.eval()

image = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    logits = model(image)

print(f"mask: {tuple(logits.argmax(1).shape)}")
