# labels: name::deberta_v2 author::huggingface task::fill_mask family::encoder
"""
DeBERTa-v2 (transformers DebertaV2ForMaskedLM), random weights, config shrunk to 2 layers of
width 32, with DeBERTa's relative-position (disentangled) attention.

Called with input_ids and attention_mask, eval mode, torch.no_grad().
Run: python encoder_deberta_v2.py  |  benchit examples/models/encoder_deberta_v2.py
"""

import torch
from transformers import DebertaV2Config, DebertaV2ForMaskedLM

torch.manual_seed(0)

config = DebertaV2Config(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
    relative_attention=True,
    position_buckets=32,
    pos_att_type=["p2c", "c2p"],
)
model = DebertaV2ForMaskedLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
