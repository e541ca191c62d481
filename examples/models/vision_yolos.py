# labels: name::yolos author::huggingface task::object_detection family::vision
"""
YOLOS (transformers YolosForObjectDetection): a plain ViT that detects objects with 10 detection
tokens. Random weights, 2 layers of width 32, 8x8 patches, on 64x64 images.

Called with pixel_values, eval mode, torch.no_grad().
Run: python vision_yolos.py  |  benchit examples/models/vision_yolos.py
"""

import torch
from transformers import YolosConfig, YolosForObjectDetection

torch.manual_seed(0)

config = YolosConfig(
    image_size=[64, 64],
    patch_size=8,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    num_detection_tokens=10,
    num_labels=5,
)
model = YolosForObjectDetection(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"class logits: {tuple(outputs.logits.shape)} boxes: {tuple(outputs.pred_boxes.shape)}")
