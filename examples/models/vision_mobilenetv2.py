# labels: name::mobilenetv2 author::huggingface task::image_classification family::vision
"""
MobileNetV2 (transformers MobileNetV2ForImageClassification, 10 classes), random weights,
depth multiplier 0.35 on 64x64 images (inverted residuals, ReLU6).

Called with pixel_values, eval mode, torch.no_grad(). Weights are drawn with std 0.2: with the
default 0.02 the random network's logits vanish (about 1e-25).
Run: python vision_mobilenetv2.py  |  benchit examples/models/vision_mobilenetv2.py
"""

import torch
from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

torch.manual_seed(0)

# initializer_range=0.2: with the default 0.02 the random network's logits vanish (~1e-25)
config = MobileNetV2Config(image_size=64, depth_multiplier=0.35, num_labels=10, initializer_range=0.2)
model = MobileNetV2ForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
