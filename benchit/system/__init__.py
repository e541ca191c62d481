"""The machine benchit runs on: the processes a script starts, the machine lock that keeps measurements
quiet, where printed output goes, and the facts recorded beside every number (CPU, libraries' versions)."""
