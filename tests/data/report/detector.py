# labels: name::detector author::huggingface task::detection
"""One small convolutional model (a report fixture)."""
import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten())
print("detector:", model(torch.ones(1, 3, 8, 8)).shape)
