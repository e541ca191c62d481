# labels: name::gemma2 author::huggingface task::text_generation family::decoder
"""
Gemma 2 (transformers Gemma2ForCausalLM), random weights, config shrunk to 2 layers of width 32
(alternating sliding-window and global attention, logit soft-capping).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache
(the model returns a cache with sliding-window layers).
Run: python decoder_gemma2.py  |  benchit examples/models/decoder_gemma2.py
"""

import torch
from transformers import Gemma2Config, Gemma2ForCausalLM

torch.manual_seed(0)

config = Gemma2Config(
    vocab_size=1000,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    head_dim=16,
    max_position_embeddings=128,
    sliding_window=8,
)
model = Gemma2ForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
