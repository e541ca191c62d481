# labels: name::siglip author::huggingface task::zero_shot_image_classification family::multimodal
"""
SigLIP (transformers SiglipModel), random weights: 2-layer text and image towers of width 32
(32x32 images, 8x8 patches), trained with a sigmoid loss instead of CLIP's softmax.

Called with 2 captions padded to 16 tokens (input_ids) and one image (pixel_values), eval mode,
torch.no_grad(); prints the per-caption sigmoid scores.
Run: python multimodal_siglip.py  |  benchit examples/models/multimodal_siglip.py
"""

import torch
from transformers import SiglipConfig, SiglipModel

torch.manual_seed(0)

config = SiglipConfig(
    text_config=dict(
        vocab_size=1000,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=16,
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
)
model = SiglipModel(config)
model.eval()

input_ids = torch.randint(0, 1000, (2, 16))
pixel_values = torch.randn(1, 3, 32, 32)

with torch.no_grad():
    outputs = model(input_ids=input_ids, pixel_values=pixel_values)

scores = torch.sigmoid(outputs.logits_per_image)
print(f"caption scores: {[round(s, 3) for s in scores[0].tolist()]}")
