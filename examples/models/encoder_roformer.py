# labels: name::roformer author::huggingface task::fill_mask family::encoder
"""
RoFormer (transformers RoFormerForMaskedLM): a BERT-style encoder with rotary position
embeddings. Random weights, config shrunk to 2 layers of width 32.

Called with input_ids and attention_mask, eval mode, torch.no_grad().
Run: python encoder_roformer.py  |  benchit examples/models/encoder_roformer.py
"""

import torch
from transformers import RoFormerConfig, RoFormerForMaskedLM

torch.manual_seed(0)

config = RoFormerConfig(
    vocab_size=1000,
    embedding_size=32,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
)
model = RoFormerForMaskedLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
