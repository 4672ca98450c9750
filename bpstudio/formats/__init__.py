"""bpstudio file formats: project and weights JSON, schemas, migrations, atomic saves. Qt-free."""

from .io import (
    FormatError,
    load_project,
    load_weights,
    read_json,
    save_project,
    save_weights,
    write_json_atomic,
)
from .project import (
    PROJECT_FORMAT,
    PROJECT_VERSION,
    WEIGHTS_FORMAT,
    WEIGHTS_VERSION,
    Project,
    network_from_dict,
    network_to_dict,
    project_from_dict,
    project_to_dict,
    weights_from_dict,
    weights_to_dict,
)

__all__ = [
    "FormatError",
    "load_project",
    "load_weights",
    "read_json",
    "save_project",
    "save_weights",
    "write_json_atomic",
    "PROJECT_FORMAT",
    "PROJECT_VERSION",
    "WEIGHTS_FORMAT",
    "WEIGHTS_VERSION",
    "Project",
    "network_from_dict",
    "network_to_dict",
    "project_from_dict",
    "project_to_dict",
    "weights_from_dict",
    "weights_to_dict",
]
