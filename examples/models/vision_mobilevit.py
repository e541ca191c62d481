# labels: name::mobilevit author::huggingface task::image_classification family::vision
"""
MobileViT (transformers MobileViTForImageClassification, 10 classes), random weights, the XXS
widths with one transformer layer per stage, on 64x64 images.

Called with pixel_values, eval mode, torch.no_grad(). Weights are drawn with std 0.2: with the
default 0.02 the random network's logits are exactly zero (nothing to validate an export against).
Run: python vision_mobilevit.py  |  benchit examples/models/vision_mobilevit.py
"""

import torch
from transformers import MobileViTConfig, MobileViTForImageClassification

torch.manual_seed(0)

config = MobileViTConfig(
    image_size=64,
    hidden_sizes=[32, 48, 64],
    neck_hidden_sizes=[8, 8, 16, 24, 32, 40, 160],
    num_attention_heads=2,
    mlp_ratio=2.0,
    num_labels=10,
    # the default 0.02 init makes this deep, BatchNorm-in-eval network's logits vanish to exactly 0
    initializer_range=0.2,
)
model = MobileViTForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
