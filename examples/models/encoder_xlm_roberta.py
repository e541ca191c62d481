# labels: name::xlm_roberta author::huggingface task::fill_mask family::encoder
"""
XLM-RoBERTa (transformers XLMRobertaForMaskedLM), random weights, config shrunk to 2 layers of
width 32 and a 1000-token vocabulary.

Called with input_ids and attention_mask, eval mode, torch.no_grad().
Run: python encoder_xlm_roberta.py  |  benchit examples/models/encoder_xlm_roberta.py
"""

import torch
from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

torch.manual_seed(0)

config = XLMRobertaConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=130,
    pad_token_id=1,
)
model = XLMRobertaForMaskedLM(config)
model.eval()

batch, seq = 1, 20
input_ids = torch.randint(3, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"logits: {tuple(outputs.logits.shape)}")
