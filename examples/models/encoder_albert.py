# labels: name::albert author::huggingface task::fill_mask family::encoder
"""
ALBERT (transformers AlbertForMaskedLM), random weights, config shrunk (embedding 16, hidden 32,
2 layers sharing one group).

Called with input_ids, attention_mask and token_type_ids, eval mode, torch.no_grad().
Run: python encoder_albert.py  |  benchit examples/models/encoder_albert.py
"""

import torch
from transformers import AlbertConfig, AlbertForMaskedLM

torch.manual_seed(0)

config = AlbertConfig(
    vocab_size=1000,
    embedding_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
)
model = AlbertForMaskedLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)
token_type_ids = torch.zeros(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
