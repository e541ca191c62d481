"""Reports: what the cache and a sweep's jobs hold, as CSV rows, console tables, comparisons, a funnel, plots.

index (the one scanner of a cache, served from an SQLite index of the state files), rows (a build config's
rows), sweep (summary.csv), compare, funnel, output (CSV, tables), plot. Nothing here imports torch,
tensorflow, onnxruntime or Hydra (the Hydra callback in callback.py is imported by Hydra only).
"""
