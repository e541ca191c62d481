# labels: name::bart author::huggingface task::summarization family::encoder_decoder
"""
BART (transformers BartForConditionalGeneration), random weights, config shrunk to 2 encoder and
2 decoder layers of width 32.

Called with input_ids, attention_mask and decoder_input_ids, eval mode, torch.no_grad(),
default use_cache.
Run: python encoder_decoder_bart.py  |  benchit examples/models/encoder_decoder_bart.py
"""

import torch
from transformers import BartConfig, BartForConditionalGeneration

torch.manual_seed(0)

config = BartConfig(
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
model = BartForConditionalGeneration(config)
model.eval()

batch, src_len, tgt_len = 1, 24, 8
input_ids = torch.randint(4, config.vocab_size, (batch, src_len))
attention_mask = torch.ones(batch, src_len, dtype=torch.long)
decoder_input_ids = torch.randint(4, config.vocab_size, (batch, tgt_len))
decoder_input_ids[:, 0] = config.decoder_start_token_id

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=decoder_input_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
