# labels: name::poolformer author::huggingface task::image_classification family::vision
"""
PoolFormer (transformers PoolFormerForImageClassification, 10 classes): a MetaFormer whose token
mixer is average pooling. Random weights, one block per stage, widths 16-128, 64x64 images.

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_poolformer.py  |  benchit examples/models/vision_poolformer.py
"""

import torch
from transformers import PoolFormerConfig, PoolFormerForImageClassification

torch.manual_seed(0)

config = PoolFormerConfig(depths=[1, 1, 1, 1], hidden_sizes=[16, 32, 64, 128], num_labels=10)
model = PoolFormerForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
