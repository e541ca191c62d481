# labels: name::timm_like author::timm task::fill_mask
"""One small model (a report fixture)."""
import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.LayerNorm(6), torch.nn.Linear(6, 2))
print("timm_like:", model(torch.ones(1, 6)).shape)
