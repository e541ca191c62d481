# labels: name::gru author::torch task::time_series_forecasting family::classic
"""
A plain-PyTorch GRU forecaster: nn.GRU (2 layers, hidden 32) over a multivariate series of
6 channels, a Linear predicting the next step; the caller passes the initial hidden state.

Called as model(series, h0) with a batch of 8 windows of 48 steps, eval mode, torch.no_grad();
the model returns the forecast and the final hidden state.
Run: python classic_gru.py  |  benchit examples/models/classic_gru.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class GRUForecaster(nn.Module):
    def __init__(self, channels=6, hidden=32, layers=2):
        super().__init__()
        self.gru = nn.GRU(channels, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, channels)

    def forward(self, series, h0):
        outputs, h_n = self.gru(series, h0)
        return self.head(outputs[:, -1]), h_n


model = GRUForecaster()
model.eval()

series = torch.randn(8, 48, 6)
h0 = torch.zeros(2, 8, 32)

with torch.no_grad():
    forecast, hidden = model(series, h0)

print(f"forecast: {tuple(forecast.shape)} hidden: {tuple(hidden.shape)}")
