# labels: name::opt author::huggingface task::text_generation family::decoder
"""
OPT (transformers OPTForCausalLM), random weights, config shrunk to 2 layers of width 32.

Called with input_ids and attention_mask for a left-padded batch of 2, eval mode,
torch.no_grad(), default use_cache.
Run: python decoder_opt.py  |  benchit examples/models/decoder_opt.py
"""

import torch
from transformers import OPTConfig, OPTForCausalLM

torch.manual_seed(0)

config = OPTConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    ffn_dim=64,
    num_attention_heads=2,
    max_position_embeddings=128,
    word_embed_proj_dim=32,
    pad_token_id=1,
)
model = OPTForCausalLM(config)
model.eval()

batch, seq = 2, 16
input_ids = torch.randint(3, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)
input_ids[1, :4] = config.pad_token_id  # the second prompt is shorter: padded on the left
attention_mask[1, :4] = 0

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
