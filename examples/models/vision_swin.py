# labels: name::swin author::huggingface task::image_classification family::vision
"""
Swin Transformer (transformers SwinForImageClassification, 10 classes), random weights, config
shrunk to 32x32 images, 2 stages of one block each, window 4 (shifted windows, patch merging).

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_swin.py  |  benchit examples/models/vision_swin.py
"""

import torch
from transformers import SwinConfig, SwinForImageClassification

torch.manual_seed(0)

config = SwinConfig(
    image_size=32,
    patch_size=4,
    embed_dim=16,
    depths=[2, 2],
    num_heads=[1, 2],
    window_size=4,
    num_labels=10,
)
model = SwinForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
