# labels: name::mbart author::huggingface task::translation family::encoder_decoder
"""
mBART (transformers MBartForConditionalGeneration), random weights, config shrunk to 2 encoder
and 2 decoder layers of width 32.

Called with input_ids, attention_mask and labels: the model shifts the labels into
decoder_input_ids itself and returns the loss with the logits. Eval mode, torch.no_grad().
Run: python encoder_decoder_mbart.py  |  benchit examples/models/encoder_decoder_mbart.py
"""

import torch
from transformers import MBartConfig, MBartForConditionalGeneration

torch.manual_seed(0)

config = MBartConfig(
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
model = MBartForConditionalGeneration(config)
model.eval()

batch, src_len, tgt_len = 1, 16, 10
input_ids = torch.randint(4, config.vocab_size, (batch, src_len))
attention_mask = torch.ones(batch, src_len, dtype=torch.long)
labels = torch.randint(4, config.vocab_size, (batch, tgt_len))
labels[:, -1] = config.eos_token_id

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)

print(f"loss: {outputs.loss.item():.3f} logits: {tuple(outputs.logits.shape)}")
