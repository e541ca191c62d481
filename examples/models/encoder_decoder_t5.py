# labels: name::t5 author::huggingface task::text2text_generation family::encoder_decoder
"""
T5 (transformers T5ForConditionalGeneration), random weights, config shrunk to 2 encoder and
2 decoder layers of width 32 (relative position buckets).

Called the way a user runs one teacher-forced step: input_ids, attention_mask and
decoder_input_ids, eval mode, torch.no_grad(), default use_cache.
Run: python encoder_decoder_t5.py  |  benchit examples/models/encoder_decoder_t5.py
"""

import torch
from transformers import T5Config, T5ForConditionalGeneration

torch.manual_seed(0)

config = T5Config(
    vocab_size=1000,
    d_model=32,
    d_kv=16,
    d_ff=64,
    num_layers=2,
    num_decoder_layers=2,
    num_heads=2,
    relative_attention_num_buckets=8,
    decoder_start_token_id=0,
)
model = T5ForConditionalGeneration(config)
model.eval()

batch, src_len, tgt_len = 1, 16, 8
input_ids = torch.randint(2, config.vocab_size, (batch, src_len))
attention_mask = torch.ones(batch, src_len, dtype=torch.long)
decoder_input_ids = torch.randint(2, config.vocab_size, (batch, tgt_len))
decoder_input_ids[:, 0] = config.decoder_start_token_id

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=decoder_input_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
