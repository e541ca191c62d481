# labels: name::detr author::huggingface task::object_detection family::vision
"""
DETR (transformers DetrForObjectDetection), random weights: a small transformers ResNet backbone
(no timm, nothing downloaded), 2 encoder and 2 decoder layers of width 32, 10 object queries,
on 64x64 images.

Called with pixel_values and pixel_mask, eval mode, torch.no_grad(); prints the box predictions'
shapes.
Run: python vision_detr.py  |  benchit examples/models/vision_detr.py
"""

import torch
from transformers import DetrConfig, DetrForObjectDetection, ResNetConfig

torch.manual_seed(0)

backbone_config = ResNetConfig(
    embedding_size=16,
    hidden_sizes=[16, 32, 64, 128],
    depths=[1, 1, 1, 1],
    layer_type="basic",
    out_features=["stage4"],
)
config = DetrConfig(
    use_timm_backbone=False,
    backbone_config=backbone_config,
    use_pretrained_backbone=False,
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    num_queries=10,
    num_labels=5,
)
model = DetrForObjectDetection(config)
model.eval()

pixel_values = torch.randn(1, 3, 64, 64)
pixel_mask = torch.ones(1, 64, 64, dtype=torch.long)

with torch.no_grad():
    outputs = model(pixel_values=pixel_values, pixel_mask=pixel_mask)

print(f"class logits: {tuple(outputs.logits.shape)} boxes: {tuple(outputs.pred_boxes.shape)}")
