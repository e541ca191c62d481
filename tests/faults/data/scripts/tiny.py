"""One small model; with $BENCHIT_FAULT_SCRIPT_MARK set it pauses after calling it (a test interrupts analysis)."""
import os
import time
from pathlib import Path

import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
model(torch.ones(2, 8))
if os.environ.get("BENCHIT_FAULT_SCRIPT_MARK"):
    Path(os.environ["BENCHIT_FAULT_SCRIPT_MARK"]).write_text(str(os.getpid()))
    time.sleep(120)
print("tiny: done")
