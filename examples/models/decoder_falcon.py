# labels: name::falcon author::huggingface task::text_generation family::decoder
"""
Falcon (transformers FalconForCausalLM), random weights, config shrunk to 2 layers of width 32
(rotary embeddings, multi-query attention, parallel attention and MLP).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_falcon.py  |  benchit examples/models/decoder_falcon.py
"""

import torch
from transformers import FalconConfig, FalconForCausalLM

torch.manual_seed(0)

config = FalconConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    multi_query=True,
    parallel_attn=True,
    max_position_embeddings=128,
)
model = FalconForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
