"""benchit's configuration: the typed schema (schema.py, the root; each group's dataclass lives beside the
code it configures), the config groups and their options (groups.py, read without Hydra), the tutorial
flags and API keywords as overrides (overrides.py), and Hydra's errors as one line (errors.py)."""
