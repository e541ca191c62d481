# labels: name::llama author::huggingface task::text_generation family::decoder
"""
Llama (transformers LlamaForCausalLM), random weights, config shrunk to 2 layers of width 32
with grouped-query attention (2 query heads, 1 key/value head).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache
(the model returns a DynamicCache).
Run: python decoder_llama.py  |  benchit examples/models/decoder_llama.py
"""

import torch
from transformers import LlamaConfig, LlamaForCausalLM

torch.manual_seed(0)

config = LlamaConfig(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    max_position_embeddings=128,
)
model = LlamaForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
