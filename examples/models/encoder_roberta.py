# labels: name::roberta author::huggingface task::feature_extraction family::encoder
"""
RoBERTa (transformers RobertaModel), random weights, config shrunk to 2 layers of width 32.

Called for sentence features: input_ids and attention_mask (the last tokens padded),
in eval mode under torch.no_grad(); prints the pooled output's shape.
Run: python encoder_roberta.py  |  benchit examples/models/encoder_roberta.py
"""

import torch
from transformers import RobertaConfig, RobertaModel

torch.manual_seed(0)

config = RobertaConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=130,
    pad_token_id=1,
)
model = RobertaModel(config)
model.eval()

batch, seq = 2, 16
input_ids = torch.randint(3, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)
input_ids[1, 12:] = config.pad_token_id  # second sentence is shorter: padded
attention_mask[1, 12:] = 0

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

print(f"last_hidden_state: {tuple(outputs.last_hidden_state.shape)} pooler_output: {tuple(outputs.pooler_output.shape)}")
