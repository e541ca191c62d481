"""What identifies a build config: the model and its inputs, and everything that built the file.

The key hashes the model (hash, framework, input signature, batch size), the sequence's stages with their
parameters, and the versions of the libraries that export and convert; the config's folder is
`<sequence>-<key>` (`<sequence>-bs<N>-<key>` for a batch-size sweep). When a model gets a new build config
beside others, `describe_change` says in words what differs from the newest one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from benchit.cache.layout import safe_name

# The libraries whose version changes the file a build writes, per framework.
BUILD_LIBRARIES = {
    "pytorch": ("benchit", "torch", "onnx", "onnxscript", "onnxruntime", "onnxruntime-gpu", "onnxconverter-common"),
    "keras": ("benchit", "tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "onnxruntime-gpu",
              "onnxconverter-common"),
}
FRAMEWORK_CONFIG = "framework"  # the config name of builds that hold no file: runtimes that time the model itself


def key_parts(model_hash: str, framework: str, signature: Any, batch_size: int | None,
              stages: list[dict], versions: dict[str, str]) -> dict[str, Any]:
    libraries = BUILD_LIBRARIES.get(framework, BUILD_LIBRARIES["pytorch"])
    return {"model": model_hash, "framework": framework, "inputs": repr(signature), "batch_size": batch_size,
            "stages": stages, "versions": {k: versions[k] for k in libraries if k in versions}}


def build_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_id(sequence_name: str, batch_size: int | None, key: str) -> str:
    batch = f"-bs{batch_size}" if batch_size else ""
    return f"{safe_name(sequence_name, 40)}{batch}-{key[:8]}"


def describe_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """"torch 2.12.0 -> 2.13.0; optimize_onnx.level basic -> extended": what makes `new` another build config."""
    changes = []
    if old.get("inputs") != new.get("inputs"):
        changes.append("the inputs' shapes or dtypes")
    if old.get("batch_size") != new.get("batch_size"):
        changes.append(f"batch_size {old.get('batch_size')} -> {new.get('batch_size')}")
    old_stages, new_stages = old.get("stages") or [], new.get("stages") or []
    old_names, new_names = [s.get("stage") for s in old_stages], [s.get("stage") for s in new_stages]
    if old_names != new_names:
        changes.append(f"the sequence ({', '.join(map(str, old_names))} -> {', '.join(map(str, new_names))})")
    else:
        for before, after in zip(old_stages, new_stages):
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    changes.append(f"{after.get('stage')}.{key} {before.get(key)} -> {after.get(key)}")
    old_versions, new_versions = old.get("versions") or {}, new.get("versions") or {}
    for library in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(library) != new_versions.get(library):
            changes.append(f"{library} {old_versions.get(library) or '(none)'} -> "
                           f"{new_versions.get(library) or '(none)'}")
    return "; ".join(changes) or "the build config"
