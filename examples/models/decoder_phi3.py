# labels: name::phi3 author::huggingface task::text_generation family::decoder
"""
Phi-3 (transformers Phi3ForCausalLM), random weights, config shrunk to 2 layers of width 32
(fused qkv and gate/up projections).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_phi3.py  |  benchit examples/models/decoder_phi3.py
"""

import torch
from transformers import Phi3Config, Phi3ForCausalLM

torch.manual_seed(0)

config = Phi3Config(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=2,
    max_position_embeddings=128,
    original_max_position_embeddings=128,
    pad_token_id=0,
)
model = Phi3ForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
