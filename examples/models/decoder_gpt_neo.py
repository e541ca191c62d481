# labels: name::gpt_neo author::huggingface task::text_generation family::decoder
"""
GPT-Neo (transformers GPTNeoForCausalLM), random weights, config shrunk to 2 layers of width 32
(one global and one local attention layer, window 8).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_gpt_neo.py  |  benchit examples/models/decoder_gpt_neo.py
"""

import torch
from transformers import GPTNeoConfig, GPTNeoForCausalLM

torch.manual_seed(0)

config = GPTNeoConfig(
    vocab_size=1000,
    max_position_embeddings=128,
    hidden_size=32,
    num_layers=2,
    attention_types=[[["global", "local"], 1]],
    num_heads=2,
    intermediate_size=64,
    window_size=8,
    bos_token_id=0,
    eos_token_id=0,
)
model = GPTNeoForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
