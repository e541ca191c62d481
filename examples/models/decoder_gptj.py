# labels: name::gptj author::huggingface task::text_generation family::decoder
"""
GPT-J (transformers GPTJForCausalLM), random weights, config shrunk to 2 layers of width 32
(rotary embeddings on 8 of each head's 16 dimensions).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_gptj.py  |  benchit examples/models/decoder_gptj.py
"""

import torch
from transformers import GPTJConfig, GPTJForCausalLM

torch.manual_seed(0)

config = GPTJConfig(
    vocab_size=1000,
    n_positions=128,
    n_embd=32,
    n_layer=2,
    n_head=2,
    rotary_dim=8,
    bos_token_id=0,
    eos_token_id=0,
)
model = GPTJForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
