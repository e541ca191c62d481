# labels: name::resnet author::huggingface task::image_classification family::vision
"""
ResNet (transformers ResNetForImageClassification, 10 classes), random weights, config shrunk to
basic blocks, one per stage, widths 16-128, on 64x64 images.

Called with a batch of 4 images (pixel_values), eval mode, torch.no_grad().
Run: python vision_resnet.py  |  benchit examples/models/vision_resnet.py
"""

import torch
from transformers import ResNetConfig, ResNetForImageClassification

torch.manual_seed(0)

config = ResNetConfig(
    embedding_size=16,
    hidden_sizes=[16, 32, 64, 128],
    depths=[1, 1, 1, 1],
    layer_type="basic",
    num_labels=10,
)
model = ResNetForImageClassification(config)
model.eval()

pixel_values = torch.randn(4, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"predicted classes: {outputs.logits.argmax(-1).tolist()}")
