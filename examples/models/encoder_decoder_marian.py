# labels: name::marian author::huggingface task::translation family::encoder_decoder
"""
Marian (transformers MarianMTModel, the Opus-MT translation models), random weights, config
shrunk to 2 encoder and 2 decoder layers of width 32 (sinusoidal positions).

Called with input_ids, attention_mask and decoder_input_ids, eval mode, torch.no_grad(),
default use_cache.
Run: python encoder_decoder_marian.py  |  benchit examples/models/encoder_decoder_marian.py
"""

import torch
from transformers import MarianConfig, MarianMTModel

torch.manual_seed(0)

config = MarianConfig(
    vocab_size=1000,
    decoder_vocab_size=1000,
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_position_embeddings=128,
    pad_token_id=999,
    decoder_start_token_id=999,
    eos_token_id=0,
)
model = MarianMTModel(config)
model.eval()

batch, src_len, tgt_len = 2, 16, 6
input_ids = torch.randint(1, 999, (batch, src_len))
attention_mask = torch.ones(batch, src_len, dtype=torch.long)
decoder_input_ids = torch.randint(1, 999, (batch, tgt_len))
decoder_input_ids[:, 0] = config.decoder_start_token_id

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=decoder_input_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
