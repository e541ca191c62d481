# labels: name::beit author::huggingface task::image_classification family::vision
"""
BEiT (transformers BeitForImageClassification, 10 classes), random weights, config shrunk to
32x32 images, 8x8 patches, 2 layers of width 32, relative position biases.

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_beit.py  |  benchit examples/models/vision_beit.py
"""

import torch
from transformers import BeitConfig, BeitForImageClassification

torch.manual_seed(0)

config = BeitConfig(
    vocab_size=256,
    image_size=32,
    patch_size=8,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    use_relative_position_bias=True,
    num_labels=10,
)
model = BeitForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
