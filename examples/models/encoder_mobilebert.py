# labels: name::mobilebert author::huggingface task::question_answering family::encoder
"""
MobileBERT (transformers MobileBertForQuestionAnswering), random weights, config shrunk
(bottleneck 16, hidden 32, 2 layers, 2 stacked feed-forward networks).

Called with input_ids, attention_mask and token_type_ids (question + context), eval mode,
torch.no_grad(); prints the answer span's start and end.
Run: python encoder_mobilebert.py  |  benchit examples/models/encoder_mobilebert.py
"""

import torch
from transformers import MobileBertConfig, MobileBertForQuestionAnswering

torch.manual_seed(0)

config = MobileBertConfig(
    vocab_size=1000,
    embedding_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    intra_bottleneck_size=16,
    true_hidden_size=16,
    num_feedforward_networks=2,
    max_position_embeddings=128,
)
model = MobileBertForQuestionAnswering(config)
model.eval()

batch, seq = 1, 32
input_ids = torch.randint(0, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)
token_type_ids = torch.zeros(batch, seq, dtype=torch.long)
token_type_ids[:, 8:] = 1  # 8 question tokens, then the context

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

start, end = outputs.start_logits.argmax(-1).item(), outputs.end_logits.argmax(-1).item()
print(f"answer span: {start}..{end}")
