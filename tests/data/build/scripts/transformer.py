# A small TransformerEncoder: its raw TorchScript export cannot be converted to float16 as it is.
import torch

torch.manual_seed(0)
layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
encoder = torch.nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False).eval()
print(encoder(torch.randn(1, 4, 16)).shape)
