# labels: name::segformer author::huggingface task::semantic_segmentation family::vision
"""
SegFormer (transformers SegformerForSemanticSegmentation, 5 classes), random weights, config
shrunk to 4 stages of one block, widths 8-64, decoder width 32, on 64x64 images.

Called with pixel_values, eval mode, torch.no_grad(); prints the segmentation map's shape.
Run: python vision_segformer.py  |  benchit examples/models/vision_segformer.py
"""

import torch
from transformers import SegformerConfig, SegformerForSemanticSegmentation

torch.manual_seed(0)

config = SegformerConfig(
    depths=[1, 1, 1, 1],
    hidden_sizes=[8, 16, 32, 64],
    num_attention_heads=[1, 1, 2, 2],
    decoder_hidden_size=32,
    num_labels=5,
)
model = SegformerForSemanticSegmentation(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values)

print(f"segmentation logits: {tuple(outputs.logits.shape)}")
