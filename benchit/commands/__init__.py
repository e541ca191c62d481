"""The commands that are not runs: `benchit cache ...` and `benchit report ...`.

They read the cache (benchit.cache) and the report's index (benchit.report); they import no torch,
tensorflow, onnxruntime or Hydra, so they answer at once.
"""
