# labels: name::lstm author::torch task::text_classification family::classic
"""
A plain-PyTorch LSTM text classifier: Embedding (vocabulary 1000) -> 2-layer bidirectional
nn.LSTM (hidden 32) -> Linear over 4 classes, random weights.

Called on a batch of 4 sequences of 20 token ids, eval mode, torch.no_grad().
Run: python classic_lstm.py  |  benchit examples/models/classic_lstm.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size=1000, embed_dim=32, hidden=32, num_classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, num_classes)

    def forward(self, token_ids):
        outputs, (h_n, c_n) = self.lstm(self.embedding(token_ids))
        return self.head(outputs[:, -1])


model = LSTMClassifier()
model.eval()

token_ids = torch.randint(0, 1000, (4, 20))

with torch.no_grad():
    logits = model(token_ids)

print(f"logits: {tuple(logits.shape)}")
