# labels: name::gpt_neox author::huggingface task::text_generation family::decoder
"""
GPT-NeoX (transformers GPTNeoXForCausalLM, the Pythia architecture), random weights, config
shrunk to 2 layers of width 32 (rotary on a quarter of each head).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_gpt_neox.py  |  benchit examples/models/decoder_gpt_neox.py
"""

import torch
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

torch.manual_seed(0)

config = GPTNeoXConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
    rotary_pct=0.25,
)
model = GPTNeoXForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
