"""The hypothesis profiles of the formats tests (not a test module).

CI runs the "ci" profile, derandomised when CI is set so that a CI run is repeatable;
BPSTUDIO_FUZZ=thorough runs 20 times as many examples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile(
    "bpstudio-formats-ci", max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI"))
)
settings.register_profile("bpstudio-formats-thorough", max_examples=3000, deadline=None)


def formats_profile() -> settings:
    """The profile chosen by BPSTUDIO_FUZZ (default ``ci``)."""
    return settings.get_profile(f"bpstudio-formats-{os.environ.get('BPSTUDIO_FUZZ', 'ci')}")
