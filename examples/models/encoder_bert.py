# labels: name::bert author::huggingface task::fill_mask family::encoder
"""
BERT (transformers BertForMaskedLM), random weights, config shrunk to 2 layers of width 32.

Called the way a user calls a masked language model on a sentence pair: input_ids,
attention_mask and token_type_ids, in eval mode under torch.no_grad().
Run: python encoder_bert.py  |  benchit examples/models/encoder_bert.py
"""

import torch
from transformers import BertConfig, BertForMaskedLM

torch.manual_seed(0)

config = BertConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
)
model = BertForMaskedLM(config)
model.eval()

batch, seq = 1, 16
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)
# a sentence pair: first half segment 0, second half segment 1
token_type_ids = torch.cat(
    [torch.zeros(batch, seq // 2, dtype=torch.long), torch.ones(batch, seq - seq // 2, dtype=torch.long)], dim=1
)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

print(f"logits: {tuple(outputs.logits.shape)}")
