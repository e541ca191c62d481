# labels: name::phi author::huggingface task::text_generation family::decoder
"""
Phi (transformers PhiForCausalLM, the Phi-1/Phi-2 architecture), random weights, config shrunk
to 2 layers of width 32 (partial rotary embeddings, parallel attention and MLP).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_phi.py  |  benchit examples/models/decoder_phi.py
"""

import torch
from transformers import PhiConfig, PhiForCausalLM

torch.manual_seed(0)

config = PhiConfig(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    max_position_embeddings=128,
    partial_rotary_factor=0.5,
)
model = PhiForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
