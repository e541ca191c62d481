# labels: name::dinov2 author::huggingface task::feature_extraction family::vision
"""
DINOv2 (transformers Dinov2Model), random weights, config shrunk to 2 layers of width 32 with
8x8 patches (layer scale, interpolated position embeddings) on 56x56 images.

Called with pixel_values, eval mode, torch.no_grad(); prints the CLS embedding's shape.
Run: python vision_dinov2.py  |  benchit examples/models/vision_dinov2.py
"""

import torch
from transformers import Dinov2Config, Dinov2Model

torch.manual_seed(0)

config = Dinov2Config(
    image_size=56,
    patch_size=8,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    mlp_ratio=2,
)
model = Dinov2Model(config)
model.eval()

pixel_values = torch.randn(1, 3, 56, 56)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"CLS embedding: {tuple(outputs.pooler_output.shape)}")
