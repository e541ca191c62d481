# labels: name::bert_like author::huggingface task::fill_mask license::apache-2.0
"""Two small models (a report fixture): an encoder-like MLP and its head."""
import torch

torch.manual_seed(0)
encoder = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 8))
head = torch.nn.Linear(8, 3)
print("bert_like:", head(encoder(torch.ones(2, 8))).shape)
