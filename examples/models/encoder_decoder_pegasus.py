# labels: name::pegasus author::huggingface task::summarization family::encoder_decoder
"""
Pegasus (transformers PegasusForConditionalGeneration), random weights, config shrunk to
2 encoder and 2 decoder layers of width 32.

Called with input_ids, attention_mask and decoder_input_ids, eval mode, torch.no_grad(),
default use_cache.
Run: python encoder_decoder_pegasus.py  |  benchit examples/models/encoder_decoder_pegasus.py
"""

import torch
from transformers import PegasusConfig, PegasusForConditionalGeneration

torch.manual_seed(0)

config = PegasusConfig(
    vocab_size=1000,
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_position_embeddings=128,
)
model = PegasusForConditionalGeneration(config)
model.eval()

batch, src_len, tgt_len = 1, 32, 8
input_ids = torch.randint(2, config.vocab_size, (batch, src_len))
attention_mask = torch.ones(batch, src_len, dtype=torch.long)
decoder_input_ids = torch.randint(2, config.vocab_size, (batch, tgt_len))
decoder_input_ids[:, 0] = config.decoder_start_token_id

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=decoder_input_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
