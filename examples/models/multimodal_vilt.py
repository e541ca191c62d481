# labels: name::vilt author::huggingface task::visual_question_answering family::multimodal
"""
ViLT (transformers ViltForQuestionAnswering, 10 answers): one transformer over text tokens and
image patches together. Random weights, 2 layers of width 32, 32x32 images with 8x8 patches.

Called with a question (input_ids, attention_mask, token_type_ids) and an image (pixel_values,
pixel_mask), eval mode, torch.no_grad().
Run: python multimodal_vilt.py  |  benchit examples/models/multimodal_vilt.py
"""

import torch
from transformers import ViltConfig, ViltForQuestionAnswering

torch.manual_seed(0)

config = ViltConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=40,
    image_size=32,
    patch_size=8,
    max_image_length=-1,
    num_labels=10,
)
model = ViltForQuestionAnswering(config)
model.eval()

input_ids = torch.randint(0, config.vocab_size, (1, 12))
attention_mask = torch.ones_like(input_ids)
token_type_ids = torch.zeros_like(input_ids)
pixel_values = torch.randn(1, 3, 32, 32)
pixel_mask = torch.ones(1, 32, 32, dtype=torch.long)

with torch.no_grad():
    outputs = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        pixel_values=pixel_values,
        pixel_mask=pixel_mask,
    )

print(f"answer: {outputs.logits.argmax(-1).item()}")
