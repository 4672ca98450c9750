"""Datasets for bpstudio: built-ins, importers, preprocessing and splits. Never imports Qt.

A dataset *specification* (as stored in a project file) is a dict::

    {"builtin": "xor", "params": {"encoding": "01"}}          # a built-in, with its parameters
    {"inline": {"inputs": [[0, 0], ...], "targets": [[0], ...]}}  # data kept in the project
    # optional in both:
    "preprocessing": {"scaling": "none" | "minmax01" | "minmax11" | "standardise", ...}
    "split": {"val": 0.0, "test": 0.0, "seed": 0, "stratify": true}

:func:`load_dataset` turns a specification into a :class:`Dataset`; :func:`prepare` also applies the
split and the preprocessing and returns the arrays a Trainer needs.
"""

from .core import Dataset, PreparedData, builtin_names, load_dataset, prepare

__all__ = ["Dataset", "PreparedData", "builtin_names", "load_dataset", "prepare"]
