# labels: name::many_models author::tests task::plot
"""BENCHIT_TEST_MODELS (default 70) models of different sizes, one build each: a report too big to plot whole."""
import os

import torch

torch.manual_seed(0)
for width in range(1, int(os.environ.get("BENCHIT_TEST_MODELS", "70")) + 1):
    torch.nn.Linear(width, 1)(torch.ones(1, width))
