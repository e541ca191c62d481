# labels: name::distilbert author::huggingface task::text_classification family::encoder
"""
DistilBERT (transformers DistilBertForSequenceClassification, 3 labels), random weights,
config shrunk to 2 layers of width 32.

Called with input_ids and attention_mask for a batch of 4 sentences, eval mode, torch.no_grad().
Run: python encoder_distilbert.py  |  benchit examples/models/encoder_distilbert.py
"""

import torch
from transformers import DistilBertConfig, DistilBertForSequenceClassification

torch.manual_seed(0)

config = DistilBertConfig(
    vocab_size=1000,
    dim=32,
    n_layers=2,
    n_heads=2,
    hidden_dim=64,
    max_position_embeddings=128,
    num_labels=3,
)
model = DistilBertForSequenceClassification(config)
model.eval()

batch, seq = 4, 24
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"predicted classes: {outputs.logits.argmax(-1).tolist()}")
