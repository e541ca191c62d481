"""Prints how it was run: as __main__, with its folder first on sys.path, argv and the working directory."""

import argparse
import os
import sys

import helper_module  # found only because the script's folder is first on sys.path

parser = argparse.ArgumentParser()
parser.add_argument("--dim", type=int, default=4)
parser.add_argument("--layers", type=int, default=1)
args = parser.parse_args()

if __name__ == "__main__":
    import torch

    model = torch.nn.Sequential(*[torch.nn.Linear(args.dim, args.dim) for _ in range(args.layers)])
    model(torch.rand(1, args.dim))
    print(f"main block ran; argv={sys.argv[1:]}; cwd={os.getcwd()}; path0={sys.path[0]}; helper={helper_module.VALUE}")
    print("to stderr", file=sys.stderr)
