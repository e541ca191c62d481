# labels: name::vae author::torch task::image_generation family::classic
"""
A convolutional variational autoencoder in plain PyTorch for 32x32 RGB images (latent size 16):
the encoder gives mean and log-variance, the decoder (ConvTranspose2d) reconstructs. In eval mode
the latent is the mean (sampling only while training). Random weights.

Called on a batch of 4 images, eval mode, torch.no_grad(); the model returns a tuple
(reconstruction, mu, logvar).
Run: python classic_autoencoder.py  |  benchit examples/models/classic_autoencoder.py
"""

import torch
from torch import nn

torch.manual_seed(0)


class ConvVAE(nn.Module):
    def __init__(self, latent=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 16, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.mu = nn.Linear(32 * 8 * 8, latent)
        self.logvar = nn.Linear(32 * 8 * 8, latent)
        self.expand = nn.Linear(latent, 32 * 8 * 8)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(16, 3, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, images):
        h = self.encoder(images)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        reconstruction = self.decoder(self.expand(z).view(-1, 32, 8, 8))
        return reconstruction, mu, logvar


model = ConvVAE()
model.eval()

images = torch.rand(4, 3, 32, 32)

with torch.no_grad():
    reconstruction, mu, logvar = model(images)

print(f"reconstruction: {tuple(reconstruction.shape)} latent: {tuple(mu.shape)}")
