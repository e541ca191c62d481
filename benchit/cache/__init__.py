"""The benchit cache: a folder per model, one per build config inside it; state and stats files, atomic writes
and locks (layout.py says where everything lives). Nothing here imports torch, tensorflow or onnxruntime:
`benchit cache ...` and `benchit report` read the cache through this package and answer at once.
"""
