# labels: name::vit author::huggingface task::image_classification family::vision
"""
ViT (transformers ViTForImageClassification, 10 classes), random weights, config shrunk to
32x32 images, 8x8 patches, 2 layers of width 32.

Called with pixel_values (a batch of 2 images), eval mode, torch.no_grad().
Run: python vision_vit.py  |  benchit examples/models/vision_vit.py
"""

import torch
from transformers import ViTConfig, ViTForImageClassification

torch.manual_seed(0)

config = ViTConfig(
    image_size=32,
    patch_size=8,
    num_channels=3,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    num_labels=10,
)
model = ViTForImageClassification(config)
model.eval()

pixel_values = torch.randn(2, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"predicted classes: {outputs.logits.argmax(-1).tolist()}")
