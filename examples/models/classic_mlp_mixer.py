# labels: name::mlp_mixer author::torch task::image_classification family::classic
"""
MLP-Mixer in plain PyTorch: 4x4 patches of a 32x32 image embedded to width 32, 2 mixer blocks
(token-mixing and channel-mixing MLPs with LayerNorm and GELU), global average pooling, 10 classes.
Random weights.

Called on a batch of 2 images, eval mode, torch.no_grad().
Run: python classic_mlp_mixer.py  |  benchit examples/models/classic_mlp_mixer.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class MixerBlock(nn.Module):
    def __init__(self, num_patches, dim, token_hidden=32, channel_hidden=64):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(
            nn.Linear(num_patches, token_hidden), nn.GELU(), nn.Linear(token_hidden, num_patches)
        )
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(), nn.Linear(channel_hidden, dim))

    def forward(self, x):
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class MLPMixer(nn.Module):
    def __init__(self, image_size=32, patch_size=4, dim=32, depth=2, num_classes=10):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        self.stem = nn.Conv2d(3, dim, patch_size, stride=patch_size)
        self.blocks = nn.Sequential(*[MixerBlock(num_patches, dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, images):
        x = self.stem(images).flatten(2).transpose(1, 2)  # (batch, patches, dim)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


model = MLPMixer()
model.eval()

images = torch.randn(2, 3, 32, 32)

with torch.no_grad():
    logits = model(images)

print(f"logits: {tuple(logits.shape)}")
