# labels: name::gemma author::huggingface task::text_generation family::decoder
"""
Gemma (transformers GemmaForCausalLM), random weights, config shrunk to 2 layers of width 32
(head_dim 16, multi-query attention, GeGLU MLP, embeddings scaled by sqrt(hidden)).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_gemma.py  |  benchit examples/models/decoder_gemma.py
"""

import torch
from transformers import GemmaConfig, GemmaForCausalLM

torch.manual_seed(0)

config = GemmaConfig(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    head_dim=16,
    max_position_embeddings=128,
)
model = GemmaForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
