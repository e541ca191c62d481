# labels: name::efficientnet author::huggingface task::image_classification family::vision
"""
EfficientNet (transformers EfficientNetForImageClassification, 10 classes), random weights,
config shrunk by width and depth coefficients of 0.25 on 64x64 images (MBConv blocks with
squeeze-and-excitation).

Called with pixel_values, eval mode, torch.no_grad(). Kept at transformers' default init on
purpose: the random network's logits are exactly zero (activations vanish through the eval-mode
BatchNorms), the zoo's case of a model whose reference outputs are constant, so any export "matches".
Run: python vision_efficientnet.py  |  benchit examples/models/vision_efficientnet.py
"""

import torch
from transformers import EfficientNetConfig, EfficientNetForImageClassification

torch.manual_seed(0)

config = EfficientNetConfig(
    image_size=64,
    width_coefficient=0.25,
    depth_coefficient=0.25,
    hidden_dim=320,  # round_filters(1280) at width 0.25
    num_labels=10,
)
model = EfficientNetForImageClassification(config)
model.eval()

pixel_values = torch.randn(1, 3, config.image_size, config.image_size)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"logits: {tuple(outputs.logits.shape)}")
