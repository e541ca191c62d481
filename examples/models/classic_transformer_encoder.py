# labels: name::transformer_encoder author::torch task::text_classification family::classic
"""
A text classifier on torch.nn.TransformerEncoder (2 layers, d_model 32, 2 heads, batch_first,
a learned position embedding) with a padding mask, random weights.

Called as model(token_ids, padding_mask) on a padded batch of 3, eval mode, torch.no_grad():
the case where PyTorch takes its fast (fused, nested-tensor) encoder path.
Run: python classic_transformer_encoder.py  |  benchit examples/models/classic_transformer_encoder.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class EncoderClassifier(nn.Module):
    def __init__(self, vocab_size=1000, d_model=32, max_len=64, num_classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=2, dim_feedforward=64, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, token_ids, padding_mask):
        positions = torch.arange(token_ids.shape[1]).unsqueeze(0)
        x = self.embedding(token_ids) + self.position(positions)
        x = self.encoder(x, src_key_padding_mask=padding_mask)
        keep = (~padding_mask).unsqueeze(-1).float()
        return self.head((x * keep).sum(1) / keep.sum(1))


model = EncoderClassifier()
model.eval()

token_ids = torch.randint(0, 1000, (3, 24))
padding_mask = torch.zeros(3, 24, dtype=torch.bool)
padding_mask[1, 16:] = True  # shorter sequences, padded at the end
padding_mask[2, 20:] = True

with torch.no_grad():
    logits = model(token_ids, padding_mask)

print(f"logits: {tuple(logits.shape)}")
