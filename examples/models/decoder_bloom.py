# labels: name::bloom author::huggingface task::text_generation family::decoder
"""
BLOOM (transformers BloomForCausalLM), random weights, config shrunk to 2 layers of width 32
(ALiBi position biases instead of position embeddings).

Called with input_ids and attention_mask, eval mode, torch.no_grad(), default use_cache.
Run: python decoder_bloom.py  |  benchit examples/models/decoder_bloom.py
"""

import torch
from transformers import BloomConfig, BloomForCausalLM

torch.manual_seed(0)

config = BloomConfig(vocab_size=1000, hidden_size=32, n_layer=2, n_head=2)
model = BloomForCausalLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
