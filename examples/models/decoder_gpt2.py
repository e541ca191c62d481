# labels: name::gpt2 author::huggingface task::text_generation family::decoder
"""
GPT-2 (transformers GPT2LMHeadModel), random weights, config shrunk to 2 layers of width 32.

Called the way a user runs one forward step of a causal LM: input_ids and attention_mask,
eval mode, torch.no_grad(), with the default use_cache (the model returns its key/value cache).
Run: python decoder_gpt2.py  |  benchit examples/models/decoder_gpt2.py
"""

import torch
from transformers import GPT2Config, GPT2LMHeadModel

torch.manual_seed(0)

config = GPT2Config(
    vocab_size=1000,
    n_positions=128,
    n_embd=32,
    n_layer=2,
    n_head=2,
    bos_token_id=0,
    eos_token_id=0,
)
model = GPT2LMHeadModel(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

next_token = outputs.logits[:, -1].argmax(-1)
print(f"logits: {tuple(outputs.logits.shape)} next token: {next_token.tolist()}")
