# labels: name::mistral author::huggingface task::text_generation family::decoder
"""
Mistral (transformers MistralForCausalLM), random weights, config shrunk to 2 layers of width 32,
grouped-query attention and a sliding window of 8 tokens.

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_mistral.py  |  benchit examples/models/decoder_mistral.py
"""

import torch
from transformers import MistralConfig, MistralForCausalLM

torch.manual_seed(0)

config = MistralConfig(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    max_position_embeddings=128,
    sliding_window=8,
)
model = MistralForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
