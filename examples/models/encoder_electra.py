# labels: name::electra author::huggingface task::token_classification family::encoder
"""
ELECTRA discriminator body with a token-classification head (transformers
ElectraForTokenClassification, 5 labels), random weights, config shrunk to 2 layers.

Called with input_ids, attention_mask and token_type_ids, eval mode, torch.no_grad().
Run: python encoder_electra.py  |  benchit examples/models/encoder_electra.py
"""

import torch
from transformers import ElectraConfig, ElectraForTokenClassification

torch.manual_seed(0)

config = ElectraConfig(
    vocab_size=1000,
    embedding_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
    num_labels=5,
)
model = ElectraForTokenClassification(config)
model.eval()

batch, seq = 2, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)
token_type_ids = torch.zeros(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

print(f"token labels: {tuple(outputs.logits.argmax(-1).shape)}")
