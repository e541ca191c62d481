"""One benchit job (a Hydra run, or one job of a multirun): every input script, each in a child process.

job (the loop, results.json), child (one worker process: timeout, signals, how it ended), resume (skip
scripts done before with the same config). The parent never imports torch.
"""
