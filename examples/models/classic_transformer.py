# labels: name::transformer_seq2seq author::torch task::translation family::classic
"""
A sequence-to-sequence translator on torch.nn.Transformer (2 encoder and 2 decoder layers,
d_model 32, 2 heads, batch_first), shared embeddings, a causal target mask, random weights.

Called as model(src_ids, tgt_ids, tgt_mask), eval mode, torch.no_grad().
Run: python classic_transformer.py  |  benchit examples/models/classic_transformer.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class Seq2Seq(nn.Module):
    def __init__(self, vocab_size=500, d_model=32):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.transformer = nn.Transformer(
            d_model=d_model,
            nhead=2,
            num_encoder_layers=2,
            num_decoder_layers=2,
            dim_feedforward=64,
            batch_first=True,
        )
        self.generator = nn.Linear(d_model, vocab_size)

    def forward(self, src_ids, tgt_ids, tgt_mask):
        out = self.transformer(self.embedding(src_ids), self.embedding(tgt_ids), tgt_mask=tgt_mask)
        return self.generator(out)


model = Seq2Seq()
model.eval()

src_ids = torch.randint(0, 500, (2, 16))
tgt_ids = torch.randint(0, 500, (2, 10))
tgt_mask = nn.Transformer.generate_square_subsequent_mask(10)

with torch.no_grad():
    logits = model(src_ids, tgt_ids, tgt_mask)

print(f"logits: {tuple(logits.shape)}")
