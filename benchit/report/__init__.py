"""Reports: the CSV of every build in a cache, sweep summaries, a plot and a Markdown table.

Nothing here imports torch, tensorflow, onnxruntime or Hydra (the Hydra callback lives in
`benchit.report.callback` and is imported by Hydra only); pandas is imported to write a CSV and
matplotlib only for `--plot`.
"""
