"""Hydra plugins that ship with benchit. benchit.app adds this folder to the `hydra_plugins` namespace.

Hydra only instantiates launchers from modules under `hydra_plugins`; keeping the module here (and not in a
top-level `hydra_plugins/` folder) ships it inside the benchit package, editable install or wheel alike.
Every module here is imported at every Hydra start-up: import nothing heavy.
"""
