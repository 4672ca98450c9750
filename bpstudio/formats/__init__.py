"""bpstudio file formats: project and weights JSON, schemas, migrations, atomic saves. Qt-free.

Reading a file never executes anything (no pickle, no eval): it is parsed as strict JSON, migrated
from older format versions, validated against the JSON Schema in ``resources/schema/`` and against
shape rules, and only then turned into objects. Every problem is a :class:`FormatError` whose message
names the file and the field, e.g. ``xor.bps.json: network.weights[1]: expected 3×4, got 3×5``.
"""

from .dataset import DatasetSpec
from .errors import FileSaveError, FormatError
from .io import MAX_DEPTH, MAX_FILE_BYTES, dumps, parse_json, portable_stem, read_json, write_json_atomic
from .project import (
    CREATED_WITH,
    PROJECT,
    PROJECT_FORMAT,
    PROJECT_VERSION,
    TRANSFORM_KEYS,
    WEIGHTS,
    WEIGHTS_FORMAT,
    WEIGHTS_VERSION,
    Project,
    RunRecord,
    WeightsFile,
    load_project,
    load_weights,
    load_weights_file,
    network_from_dict,
    network_to_dict,
    project_from_dict,
    project_to_dict,
    save_project,
    save_project_document,
    save_weights,
    transform_to_dict,
    weights_file_from_dict,
    weights_from_dict,
    weights_to_dict,
)
from .registry import FORMATS, FileFormat, get_format, load_document, register_format, save_document
from .view import VIEW_DEFAULTS, VIEW_OPTIONS, ViewOptions

__all__ = [
    "DatasetSpec",
    "VIEW_DEFAULTS",
    "VIEW_OPTIONS",
    "ViewOptions",
    "FileSaveError",
    "FormatError",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "dumps",
    "portable_stem",
    "parse_json",
    "read_json",
    "write_json_atomic",
    "CREATED_WITH",
    "PROJECT",
    "PROJECT_FORMAT",
    "PROJECT_VERSION",
    "WEIGHTS",
    "WEIGHTS_FORMAT",
    "WEIGHTS_VERSION",
    "TRANSFORM_KEYS",
    "Project",
    "RunRecord",
    "WeightsFile",
    "load_project",
    "load_weights",
    "load_weights_file",
    "network_from_dict",
    "network_to_dict",
    "project_from_dict",
    "project_to_dict",
    "save_project",
    "save_project_document",
    "save_weights",
    "transform_to_dict",
    "weights_file_from_dict",
    "weights_from_dict",
    "weights_to_dict",
    "FORMATS",
    "FileFormat",
    "get_format",
    "load_document",
    "register_format",
    "save_document",
]
