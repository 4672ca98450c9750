"""Datasets for bpstudio: built-ins, importers, preprocessing and splits. Never imports Qt.

A dataset *specification* (as stored in a project file) is a dict of one of three kinds::

    {"builtin": "moons", "params": {"n": 200, "noise": 0.1, "seed": 0}}   # a built-in dataset
    {"inline": {"inputs": [[0, 0], ...], "targets": [[0], ...],           # data kept in the project
                "input_names": [...], "target_names": [...]}}              #   (names optional)
    {"file": "data/iris.csv", "format": "csv", "target": "species"}       # a file on disk

Built-ins (``bpstudio datasets`` lists them with their parameters): the logic gates and, or, xor,
xnor, nand (``encoding``: "01" or "pm1"); 2-D classification circle, xor_quadrants, gaussians,
spirals, moons (``n``, ``noise``, ``seed``, ``encoding``); regression sine, plane, surface and matmul
(y = M·x, M = [[10, 0], [7, 10]] as in the notes); the shipped real sets iris, wine, breast_cancer
and digits (see ``resources/datasets/PROVENANCE.md``).

File options, by ``format`` (guessed from the file name when absent; ``.gz`` files are decompressed):

* ``"csv"`` / ``"tsv"``: ``"target"``: a column name or number (1 = first, −1 = last; the default is
  the last column), or a list of them; ``"header"``: true, false or "auto" (a first row with text is a
  header); ``"delimiter"``: one character (default "," or tab), "whitespace" (runs of spaces/tabs) or
  "auto" (detected from the first rows); ``"onehot"``: "auto" (text targets
  become one-hot), true (class labels even if numeric) or false. Rows are numbered as file lines.
  Missing input values are replaced by the column mean and counted in ``Dataset.report``.
* ``"idx"`` (MNIST as distributed): ``"file"`` is the images file, ``"labels"`` the labels file;
  labels become one-hot classes 0 … max unless ``"onehot": false``.
* ``"npz"`` (read with ``allow_pickle=False``): ``"inputs_key"`` (default X/x/inputs/data/images),
  ``"targets_key"`` (default T/y/Y/targets/target/labels), ``"onehot"``.

Any kind may also carry::

    "preprocessing": {"scaling": "none" | "minmax01" | "minmax11" | "standardise", "per_feature": true}
    "split": {"val": 0.2, "test": 0.1, "seed": 0, "stratify": true}
    "name": "my data"

:func:`load_dataset` turns a specification into a :class:`Dataset`; :func:`prepare` also draws the
split (seeded, stratified for classification) and fits the scaling on the training split (or applies a
stored transform fitted for the same choice), and returns the arrays a Trainer needs with the
transform used (:attr:`PreparedData.preprocessing`), which :func:`apply_preprocessing` applies to new
inputs. Every error is a :class:`DataError` naming the
field, row or column at fault.
"""

from .builtins import BUILTINS, builtin_names, get_builtin
from .core import check_fits, load_dataset, prepare, spec_kind
from .files import MAX_FILE_BYTES, MAX_VALUES
from .preprocess import (
    SCALING_TITLES,
    SCALINGS,
    apply_preprocessing,
    check_transform,
    describe_transform,
    fit_scaling,
    invert_preprocessing,
    split_indices,
    transform_fits,
)
from .records import DataError, Dataset, ImportReport, PreparedData

__all__ = [
    "BUILTINS",
    "MAX_FILE_BYTES",
    "MAX_VALUES",
    "SCALINGS",
    "SCALING_TITLES",
    "DataError",
    "Dataset",
    "ImportReport",
    "PreparedData",
    "apply_preprocessing",
    "builtin_names",
    "check_fits",
    "check_transform",
    "describe_transform",
    "fit_scaling",
    "get_builtin",
    "invert_preprocessing",
    "load_dataset",
    "prepare",
    "spec_kind",
    "split_indices",
    "transform_fits",
]
