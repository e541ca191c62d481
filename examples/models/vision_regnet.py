# labels: name::regnet author::huggingface task::image_classification family::vision
"""
RegNet (transformers RegNetForImageClassification, 10 classes), random weights, config shrunk to
one Y-block per stage, widths 16-128, group width 8, on 64x64 images.

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_regnet.py  |  benchit examples/models/vision_regnet.py
"""

import torch
from transformers import RegNetConfig, RegNetForImageClassification

torch.manual_seed(0)

config = RegNetConfig(
    embedding_size=16,
    hidden_sizes=[16, 32, 64, 128],
    depths=[1, 1, 1, 1],
    groups_width=8,
    layer_type="y",
    num_labels=10,
)
model = RegNetForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
