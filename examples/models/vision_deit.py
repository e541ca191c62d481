# labels: name::deit author::huggingface task::image_classification family::vision
"""
DeiT with its distillation token (transformers DeiTForImageClassificationWithTeacher, 10 classes),
random weights, config shrunk to 32x32 images, 8x8 patches, 2 layers of width 32.

Called with pixel_values, eval mode, torch.no_grad(); the prediction averages the class and
distillation heads.
Run: python vision_deit.py  |  benchit examples/models/vision_deit.py
"""

import torch
from transformers import DeiTConfig, DeiTForImageClassificationWithTeacher

torch.manual_seed(0)

config = DeiTConfig(
    image_size=32,
    patch_size=8,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    num_labels=10,
)
model = DeiTForImageClassificationWithTeacher(config)
model.eval()

pixel_values = torch.randn(1, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
