# labels: name::squeezebert author::huggingface task::text_classification family::encoder
"""
SqueezeBERT (transformers SqueezeBertForSequenceClassification): BERT with grouped 1x1
convolutions in place of the dense layers. Random weights, config shrunk to 2 layers of width 32.

Called with input_ids and attention_mask, eval mode, torch.no_grad().
Run: python encoder_squeezebert.py  |  benchit examples/models/encoder_squeezebert.py
"""

import torch
from transformers import SqueezeBertConfig, SqueezeBertForSequenceClassification

torch.manual_seed(0)

config = SqueezeBertConfig(
    vocab_size=1000,
    embedding_size=32,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
    q_groups=2,
    k_groups=2,
    v_groups=2,
    post_attention_groups=2,
    intermediate_groups=2,
    output_groups=2,
    num_labels=2,
)
model = SqueezeBertForSequenceClassification(config)
model.eval()

batch, seq = 2, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
