"""Hydra's and OmegaConf's errors, as benchit's one line: what is wrong and what to do.

`Could not override 'device.measurement.min_secs'. To append ... Key 'min_secs' not in 'MeasurementConfig'`
becomes `device.measurement.min_secs: no such key (did you mean min_seconds? keys there: ...)`. The CLI and
the Python API both use it.
"""

from __future__ import annotations

import re

from benchit.config.groups import did_you_mean

# Launcher plugins are extras: name the one to install instead of Hydra's import error.
_LAUNCHER_EXTRAS = {"hydra_joblib_launcher": "joblib", "hydra_submitit_launcher": "slurm",
                    "hydra_ray_launcher": "ray"}


def explain_config_error(error: Exception) -> str:
    """Hydra/OmegaConf errors span several lines; keep the ones that say what is wrong."""
    text = f"{error} {error.__cause__}"
    for module, extra in _LAUNCHER_EXTRAS.items():
        launchers = {"joblib": ("joblib",), "slurm": ("submitit_local", "submitit_slurm"), "ray": ("ray",)}[extra]
        missing_class = f"hydra_plugins.{module}" in text and ("No module named" in text or "locating target" in text)
        missing_config = any(f"Could not find 'hydra/launcher/{name}" in text for name in launchers)
        if missing_class or missing_config:
            return f"this launcher needs {module}, which is not installed: pip install 'benchit[{extra}]'"
    message = str(error)
    unknown_key = _explain_unknown_key(text)
    if unknown_key:
        return unknown_key
    merging = _MERGING.match(message)
    if merging and error.__cause__ is not None:  # "Error merging override k=v" + why: say it once, on one line
        cause = str(error.__cause__).splitlines()[0].strip()
        return f"{merging.group(1)}: {cause} (see `benchit --help`)"
    if "Available options in" in message:  # Hydra's MissingConfigException: options one per line, then paths
        head, _, rest = message.partition("Available options in")
        options = [line.strip() for line in rest.split("Config search path:")[0].splitlines()[1:] if line.strip()]
        return f"{head.strip()} (available: {', '.join(options)})"
    parts = [message]
    if error.__cause__ is not None:
        parts.append(str(error.__cause__))
    lines = [line.strip() for part in parts for line in part.splitlines() if line.strip()]
    keep = [line for line in lines if not line.startswith(("full_key:", "object_type=", "reference_type="))]
    text = "; ".join(dict.fromkeys(keep))
    return text + " (see `benchit --help`)"


_COULD_NOT_OVERRIDE = re.compile(r"Could not override '([^']+)'")
_KEY_NOT_IN = re.compile(r"Key '([^']+)' (?:is )?not in (?:'(\w+)'|struct)")
_MERGING = re.compile(r"Error merging override (\S+)")


def _explain_unknown_key(text: str) -> str | None:
    """`device.measurement.min_secs: no such key (did you mean min_seconds? ...)` for Hydra's three-part message.

    In a typed group (a dataclass schema) the key is misspelt: name the close one and the real ones. In a free
    mapping (`device.provider_options`) a new key needs Hydra's `+`."""
    override, missing = _COULD_NOT_OVERRIDE.search(text), _KEY_NOT_IN.search(text)
    if not override or not missing:
        return None
    import dataclasses

    from benchit.config.schema import schema_classes

    key, schema = override.group(1), schema_classes().get(missing.group(2) or "")
    known = [f.name for f in dataclasses.fields(schema) if not f.name.startswith("_")] if schema else []
    if not known:  # a free mapping: a new key needs Hydra's +
        return f"{key}: no such key; +{key}=VALUE adds it (e.g. a provider option)"
    # a typed group: a new key there would be ignored, so do not suggest adding one
    return f"{key}: no such key ({did_you_mean(missing.group(1), known)}keys there: {', '.join(known)})"
