"""Data paths that are not regular files are refused before anything is read (issue 13, class 1 and 11).

/dev/zero would be read until memory runs out and a named pipe would block for ever; a NUL character
in a name used to give a traceback. Every way in — a project's dataset, ``train --data``,
``predict --data``, the import dialog's look at a file — is refused with one short message.
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from bpstudio.cli import main
from bpstudio.data import DataError, load_dataset
from bpstudio.data.csvfile import peek_delimited
from bpstudio.engine import Network
from bpstudio.formats import FormatError, Project, load_project, save_project


@contextmanager
def within(seconds: int):
    """Fail (instead of hanging the suite) when the block takes longer than ``seconds``."""

    def timeout(signum, frame):
        raise AssertionError(f"still reading after {seconds} s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


SPECIAL = ["/dev/zero", "/dev/urandom", "fifo", "folder"]


def special(name: str, fifo: Path, tmp_path: Path) -> str:
    return {"fifo": str(fifo), "folder": str(tmp_path)}.get(name, name)


@pytest.mark.parametrize("name", SPECIAL)
@pytest.mark.parametrize("fmt", ["csv", "npz", "idx"])
def test_a_dataset_that_is_not_a_regular_file_is_refused_at_once(name, fmt, fifo, tmp_path):
    path = special(name, fifo, tmp_path)
    spec = {"file": path, "format": fmt} | ({"labels": path} if fmt == "idx" else {})
    with within(10), pytest.raises(DataError) as err:
        load_dataset(spec)
    message = str(err.value)
    assert ("device" in message or "pipe" in message or "folder" in message) and len(message) < 300


@pytest.mark.parametrize("name", SPECIAL)
def test_the_import_dialogs_look_at_a_file_refuses_it_too(name, fifo, tmp_path):
    with within(10), pytest.raises(DataError, match="not a data file"):
        peek_delimited(Path(special(name, fifo, tmp_path)))


def test_a_nul_in_a_data_or_project_path_is_an_error_not_a_traceback(tmp_path):
    with pytest.raises(DataError, match="NUL"):
        load_dataset({"file": "data\0.csv"})
    with pytest.raises(FormatError, match="NUL"):
        load_project(str(tmp_path / "a\0.bps.json"))


@pytest.mark.parametrize("name", ["/dev/zero", "fifo"])
def test_the_command_line_refuses_them_with_one_line(name, fifo, tmp_path, capsys):
    project = tmp_path / "p.bps.json"
    save_project(project, Project(network=Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)))
    path = special(name, fifo, tmp_path)
    for argv in (
        [
            "train",
            str(project),
            "--data",
            path,
            "--format",
            "csv",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "o.json"),
        ],
        ["predict", str(project), "--data", path, "--format", "csv"],
    ):
        with within(10):
            assert main(argv) == 2
        errors = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
        assert len(errors) == 1 and ("device" in errors[0] or "pipe" in errors[0]), errors


def test_a_small_gz_of_millions_of_short_rows_is_refused_with_bounded_memory(tmp_path):
    """Issue 13.4: a 254 KB .csv.gz of 255 MB of short rows peaked at 8 GB before being refused.
    The row limit is checked before the text is split, so memory stays bounded by the limits."""
    import gzip
    import subprocess
    import sys

    path = tmp_path / "short.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"x,y\n" + b"0,1\n" * 12_000_000)  # 48 MB of text in about 100 KB
    probe = (
        "import resource, sys\n"
        "from bpstudio.data import DataError, load_dataset\n"
        "try:\n"
        "    load_dataset({'file': sys.argv[1], 'target': 'y'})\n"
        "    print('loaded')\n"
        "except DataError as exc:\n"
        "    print('refused', str(exc))\n"
        # VmHWM is this process's own peak; ru_maxrss would include the forked pytest's size
        "try:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "    print(int(hwm.split()[1]) // 1024)\n"
        "except OSError:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=120
    )
    verdict, peak_mb = out.stdout.strip().splitlines()
    assert verdict.startswith("refused") and "limit of 2,000,000 rows" in verdict, out.stderr
    # splitting 12 million rows first needed well over a gigabyte
    assert int(peak_mb) < 150  # refused while decompressing: a few megabytes of text, not 48


def test_a_gz_table_is_refused_while_it_is_decompressed(tmp_path, monkeypatch):
    """The row limit is checked on each decompressed piece: refusal comes after the first piece that
    passes it, whatever the size of the rest (LF and CR line breaks both count)."""
    import gzip

    import bpstudio.data.csvfile as csvfile
    import bpstudio.data.files as files

    monkeypatch.setattr(csvfile, "MAX_ROWS", 100)
    monkeypatch.setattr(files, "GUNZIP_CHUNK", 64)
    read = []
    real = files.gzip.GzipFile.read

    def counting(self, size=-1):
        chunk = real(self, size)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(files.gzip.GzipFile, "read", counting)
    for newline in (b"\n", b"\r"):
        read.clear()
        path = tmp_path / "rows.csv.gz"
        path.write_bytes(gzip.compress(b"x,y" + newline + (b"0,1" + newline) * 100_000))
        with pytest.raises(DataError, match="more than the limit of 100 rows"):
            load_dataset({"file": str(path)})
        assert sum(read) < 1_000  # about 101 rows of 4 bytes, not 400 KB
    path.write_bytes(gzip.compress(b"x,y\n" + b"0,1\n" * 100))
    assert len(load_dataset({"file": str(path)})) == 100  # at the limit: loads
