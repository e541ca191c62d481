# labels: name::clip author::huggingface task::zero_shot_image_classification family::multimodal
"""
CLIP (transformers CLIPModel), random weights: a 2-layer text tower and a 2-layer ViT image tower
(32x32 images, 8x8 patches), width 32, projected to 16.

Called the way zero-shot classification does: 3 candidate captions (input_ids, attention_mask)
and one image (pixel_values), eval mode, torch.no_grad(); prints the caption probabilities.
Run: python multimodal_clip.py  |  benchit examples/models/multimodal_clip.py
"""

import torch
from transformers import CLIPConfig, CLIPModel

torch.manual_seed(0)

config = CLIPConfig(
    text_config=dict(
        vocab_size=1000,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=32,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    ),
    vision_config=dict(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
    ),
    projection_dim=16,
)
model = CLIPModel(config)
model.eval()

input_ids = torch.randint(3, 1000, (3, 12))
input_ids[:, -1] = 2  # each caption ends with its end-of-text token
attention_mask = torch.ones_like(input_ids)
pixel_values = torch.randn(1, 3, 32, 32)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, pixel_values=pixel_values)

probs = outputs.logits_per_image.softmax(dim=-1)
print(f"caption probabilities: {[round(p, 3) for p in probs[0].tolist()]}")
