# labels: name::mpnet author::huggingface task::sentence_similarity family::encoder
"""
MPNet (transformers MPNetModel), random weights, config shrunk to 2 layers of width 32:
the body of sentence-transformers' all-mpnet models.

Called with input_ids and attention_mask on two sentences, eval mode, torch.no_grad();
the script mean-pools the token embeddings and prints the cosine similarity.
Run: python encoder_mpnet.py  |  benchit examples/models/encoder_mpnet.py
"""

import torch
from transformers import MPNetConfig, MPNetModel

torch.manual_seed(0)

config = MPNetConfig(
    vocab_size=1000,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=130,
)
model = MPNetModel(config)
model.eval()

batch, seq = 2, 16
input_ids = torch.randint(3, config.vocab_size, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.long)

with torch.no_grad():
    outputs = model(input_ids=input_ids, attention_mask=attention_mask)

mask = attention_mask.unsqueeze(-1).float()
embeddings = (outputs.last_hidden_state * mask).sum(1) / mask.sum(1)
similarity = torch.nn.functional.cosine_similarity(embeddings[0], embeddings[1], dim=0)
print(f"embeddings: {tuple(embeddings.shape)} similarity: {similarity.item():.4f}")
