"""What changed in the open project: one notification per operation, which views read on demand.

The Session emits ``changed(Change)`` once for each thing a user does (a step, an edit, Open …), with
every part that changed in the flags; a view looks at the flags it cares about and reads the new state
from the Session (``session.trace``, ``session.presenter()``, ``session.stage`` …). So a step that
changes the weights, the trace and the history rebuilds each view once, not once per part.

Selection, hover, view options, the file name, dirtiness and the running state have their own signals:
they change on their own, and carry their new value.
"""

from __future__ import annotations

import enum

__all__ = ["Change"]


class Change(enum.Flag):
    """The parts of the session an operation changed."""

    NONE = 0
    #: a different project was opened or created: everything is new
    PROJECT = enum.auto()
    #: layer sizes, activations or connections
    STRUCTURE = enum.auto()
    #: weights or biases (an edit or a training update)
    VALUES = enum.auto()
    #: the training settings
    CONFIG = enum.auto()
    #: the dataset, its preprocessing or split
    DATASET = enum.auto()
    #: the current step's trace (``Session.trace``, maybe partial, or None)
    TRACE = enum.auto()
    #: the micro-stage just computed (``Session.stage``; "" when no step is in progress)
    STAGE = enum.auto()
    #: the loss/accuracy history grew or shrank
    HISTORY = enum.auto()
    #: the project became read-only or editable again (``Session.locked``)
    LOCKED = enum.auto()
    #: the runs side by side (``Session.project.runs``) or their paths (``Session.run_paths``)
    RUNS = enum.auto()

    #: a new or reshaped network: views that lay it out start again
    SHAPE = PROJECT | STRUCTURE
    #: anything a step's numbers are shown from
    NUMBERS = VALUES | TRACE | LOCKED
