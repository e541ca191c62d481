# labels: name::convnextv2 author::huggingface task::image_classification family::vision
"""
ConvNeXt V2 (transformers ConvNextV2ForImageClassification, 10 classes, global response
normalization), random weights, config shrunk to 4 stages of one block, widths 8-64, 64x64 images.

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_convnextv2.py  |  benchit examples/models/vision_convnextv2.py
"""

import torch
from transformers import ConvNextV2Config, ConvNextV2ForImageClassification

torch.manual_seed(0)

config = ConvNextV2Config(hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1], num_labels=10)
model = ConvNextV2ForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
