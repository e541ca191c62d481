# labels: name::convnext author::huggingface task::image_classification family::vision
"""
ConvNeXt (transformers ConvNextForImageClassification, 10 classes), random weights, config shrunk
to 4 stages of one block, widths 8-64, on 64x64 images.

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_convnext.py  |  benchit examples/models/vision_convnext.py
"""

import torch
from transformers import ConvNextConfig, ConvNextForImageClassification

torch.manual_seed(0)

config = ConvNextConfig(hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1], num_labels=10)
model = ConvNextForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
