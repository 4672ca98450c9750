"""Fuzz every loader under a memory and a time limit (run as a script; tests/test_fuzz_loaders.py).

    python tests/fuzz_loaders.py [--inputs 11600] [--seed 1] [--memory-mb 1500] [--seconds 5]

For each loader (project, weights, exercise, answers, CSV, TSV, IDX, NPZ, gz) the script makes
inputs from valid seed files by seeded random mutations (flipped, deleted, repeated or inserted bytes,
hostile tokens such as 1e999, NaN, deep brackets and huge counts, truncation) and, for the JSON formats,
by replacing a random member with a hostile value. Each input must load, or be refused with the
loader's documented error (FormatError for documents, DataError for data files) and a message of at
most MAX_MESSAGE characters, within ``--seconds``; the whole run lives under an address-space limit
(resource.setrlimit). A warning from a loader (NumPy's, say) counts as a failure too: a loader
speaks through its result or its error. Prints one JSON summary line: inputs per loader, outcomes,
failures.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import json
import os
import random
import resource
import signal
import struct
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: the share of the inputs each loader gets
SHARES = {
    "project": 0.2,
    "weights": 0.09,
    "exercise": 0.11,
    "answers": 0.09,
    "csv": 0.13,
    "tsv": 0.07,
    "gz": 0.08,
    "idx": 0.08,
    "npz": 0.08,
    "lesson": 0.07,
}
TOKENS = [
    b"1e999",
    b"-1e999",
    b"NaN",
    b"Infinity",
    b"-0",
    b"1e308",
    b"99999999999999999999999",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'""',
    b"[" * 200,
    b"]" * 50,
    b"\x00",
    b"\xff\xfe",
    b"\xe2\x80\xae",
    b"\n" * 20,
    b",,,,",
    b"\t\t",
    b'"a":1,"a":2',
    b"-",
    b".",
    b"1.5e-324",
    b"2147483648",
    b"-1",
    b"x" * 3000,
    "Δ\u00b9\u207b".encode(),
    b"\r\n",
    b'"format"',
    b'"version":99',
]
HOSTILE_VALUES = [
    None,
    True,
    -1,
    0,
    1,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    5e-324,
    1.5,
    "",
    "x" * 5000,
    "1e999",
    "NaN",
    [],
    [[]],
    [0] * 5000,
    {},
    {"": None},
    [[[[[[[[[[[]]]]]]]]]]],
    "../../etc/passwd",
    "/dev/zero",
    "\x00",
    list(range(-3, 3)),
    {"builtin": "xor"},
    {"file": "/dev/urandom"},
]


class Hang(Exception):
    pass


def _alarm(_signum, _frame):
    raise Hang()


# ---------------------------------------------------------------------------------------------- seeds
def seeds(folder: Path) -> dict[str, list[bytes]]:
    """Valid inputs of each kind to mutate."""
    import numpy as np

    from bpstudio import resources_dir
    from bpstudio.formats import save_project, save_weights
    from bpstudio.teaching import Attempt, load_exercise, save_answers
    from bpstudio.workspace import load_example, trainer_for, update_project

    out: dict[str, list[bytes]] = {k: [] for k in SHARES}
    examples = sorted((resources_dir() / "examples").glob("*.bps.json"))
    out["project"] = [p.read_bytes() for p in examples if p.stat().st_size < 10_000]
    out["lesson"] = [p.read_bytes() for p in sorted((resources_dir() / "lessons").glob("*.bpl.jsonl"))]
    trained = load_example("xor")  # with a history: its series and distribution records get mutated
    trainer, _data = trainer_for(trained)
    trainer.run(epochs=3)
    update_project(trained, trainer)
    save_project(folder / "trained.bps.json", trained)
    out["project"].append((folder / "trained.bps.json").read_bytes())
    net = load_example("xor").network
    save_weights(folder / "w.json", net, None)
    out["weights"].append((folder / "w.json").read_bytes())
    exercises = sorted((resources_dir() / "exercises").glob("*.bpx.json"))
    out["exercise"] = [p.read_bytes() for p in exercises]
    for p in exercises:
        ex = load_exercise(p)
        attempt = Attempt.for_exercise(ex, "Ana")
        for k in attempt.keys()[:3]:
            attempt.submit(k, "0.25")
        save_answers(folder / "a.json", attempt, ex)
        out["answers"].append((folder / "a.json").read_bytes())
    csv = b"x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
    out["csv"] = [csv, b"a,b,label\n1.5,2,cat\n3,,dog\n-1,4e2,cat\n", b"1,2,3\n4,5,6\n"]
    out["tsv"] = [csv.replace(b",", b"\t"), b"a\tb\tc\n1\t2\tx\n3\t4\ty\n"]
    out["gz"] = [gzip.compress(c) for c in out["csv"]] + [
        (resources_dir() / "datasets" / "iris.csv.gz").read_bytes()
    ]
    images = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    idx = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", 2, 3, 3) + images.tobytes()
    labels = struct.pack(">BBBB", 0, 0, 0x08, 1) + struct.pack(">I", 2) + bytes([0, 1])
    out["idx"] = [idx, labels]  # images, then labels
    out["npz"] = [
        npz_of({"X.npy": npy(np.eye(3)), "y.npy": npy(np.array([0, 1, 2]))}),
        npz_of({"inputs.npy": npy(np.ones((4, 2))), "targets.npy": npy(np.array([[0.5], [1], [2], [3]]))}),
    ]
    return out


def make_input(kind: str, rng: random.Random, base: dict[str, list[bytes]], path: Path) -> dict:
    """Write one mutated input of ``kind`` at ``path`` (and beside it); the extra dataset options."""
    raw = rng.choice(base[kind])
    if kind == "idx":  # an images file and a labels file, either or both mutated
        images, labels = base["idx"]
        images = mutate_bytes(rng, images) if rng.random() < 0.7 else images
        labels = mutate_bytes(rng, labels) if rng.random() < 0.5 else labels
        path.write_bytes(images)
        path.with_suffix(".labels").write_bytes(labels)
        return {"labels": str(path.with_suffix(".labels"))}
    if kind == "npz" and rng.random() < 0.6:  # intact zip, mutated .npy members (headers above all)
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            members = {n: z.read(n) for n in z.namelist()}
        for name in rng.sample(sorted(members), rng.randrange(1, len(members) + 1)):
            npy_raw = members[name]
            head = npy_raw[:128]
            members[name] = (
                mutate_bytes(rng, head) + npy_raw[128:] if rng.random() < 0.7 else mutate_bytes(rng, npy_raw)
            )
        path.write_bytes(npz_of(members))
        return {}
    if kind == "lesson":  # JSON lines: one line mutated as JSON (the header or an event), or the bytes
        lines = raw.split(b"\n")
        i = rng.randrange(len(lines))
        if rng.random() < 0.6 and lines[i].strip():
            lines[i] = mutate_json(rng, lines[i])
            raw = b"\n".join(lines)
        else:
            raw = mutate_bytes(rng, raw)
        path.write_bytes(raw)
        return {}
    if path.name.endswith("json") and rng.random() < 0.5:
        raw = mutate_json(rng, raw)
    elif kind == "gz" and rng.random() < 0.5:  # mutated inside the compression too
        raw = gzip.compress(mutate_bytes(rng, gzip.decompress(raw)))
    else:
        raw = mutate_bytes(rng, raw)
    path.write_bytes(raw)
    return {}


# ---------------------------------------------------------------------------------------------- mutations
def mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.choice([1, 1, 2, 3, 8])):
        op = rng.randrange(7)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:  # flip a byte
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 1:  # delete a range
            del data[at : at + rng.randrange(1, 64)]
        elif op == 2 and data:  # repeat a range
            end = min(len(data), at + rng.randrange(1, 64))
            data[at:at] = data[at:end] * rng.randrange(1, 40)
        elif op == 3:  # insert a hostile token
            data[at:at] = rng.choice(TOKENS)
        elif op == 4:  # truncate
            del data[at:]
        elif op == 5 and data:  # replace a digit run by a huge number
            data[at:at] = str(rng.choice([10**400, 2**64, -(2**63), 10**9])).encode()
        elif rng.random() < 0.3:  # random bytes
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
        else:  # random printable text (text formats get past their decoding more often)
            data[at:at] = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 32)))
    return bytes(data)


def npz_of(members: dict[str, bytes]) -> bytes:
    """An .npz (a zip archive) holding the given .npy members as they are."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, raw in members.items():
            z.writestr(name, raw)
    return buf.getvalue()


def npy(array) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def mutate_json(rng: random.Random, raw: bytes) -> bytes:
    doc = json.loads(raw)
    for _ in range(rng.choice([1, 1, 2, 4])):
        parent, key = _random_member(rng, doc)
        if parent is None:
            break
        choice = rng.randrange(4)
        if choice == 0:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif choice == 1 and isinstance(parent, dict):
            del parent[key]
        elif choice == 2 and isinstance(parent, dict):
            parent[rng.choice(["x", key + "s", "", "format", "version"])] = copy.deepcopy(
                rng.choice(HOSTILE_VALUES)
            )
        else:  # a value of another member (right type, wrong place)
            other_parent, other_key = _random_member(rng, doc)
            if other_parent is not None:
                parent[key] = copy.deepcopy(other_parent[other_key])  # (a copy: no cycles)
    text = json.dumps(doc, allow_nan=True)
    return text.encode()


def _random_member(rng: random.Random, doc):
    """A random (container, key) inside ``doc``, walking down a random path."""
    parent, key = None, None
    node = doc
    for _ in range(rng.randrange(1, 8)):
        if isinstance(node, dict) and node:
            parent, key = node, rng.choice(list(node))
        elif isinstance(node, list) and node:
            parent, key = node, rng.randrange(len(node))
        else:
            break
        node = parent[key]
    return parent, key


# ---------------------------------------------------------------------------------------------- loaders
def loaders(folder: Path):
    from bpstudio.data import DataError, load_dataset
    from bpstudio.engine.errors import MAX_MESSAGE
    from bpstudio.formats import FormatError, load_project, load_weights_file
    from bpstudio.teaching import load_exercise
    from bpstudio.teaching.lesson import load_lesson
    from bpstudio.teaching.results import load_answers

    def data(ext: str):
        def load(path: Path, **options):
            return load_dataset({"file": str(path), **options})

        return ext, load, DataError

    def document(ext: str, loader):
        return ext, lambda path, **_: loader(path), FormatError

    table = {
        "project": document(".bps.json", load_project),
        "weights": document(".json", load_weights_file),
        "exercise": document(".bpx.json", load_exercise),
        "answers": document(".bpa.json", load_answers),
        "lesson": document(".bpl.jsonl", load_lesson),
        "csv": data(".csv"),
        "tsv": data(".tsv"),
        "gz": data(".csv.gz"),
        "idx": data(".idx"),
        "npz": data(".npz"),
    }
    return table, MAX_MESSAGE


def attempt(
    load, path: Path, options: dict, refused: type, seconds: float, max_message: int
) -> tuple[str, list]:
    """Load one input: (outcome, problems). A loader answers with its result or its documented error,
    within ``seconds``, with a short message, and without a word on the console (a warning)."""
    problems = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load(path, **options)
            outcome = "loaded"
        except refused as exc:
            outcome = "refused"
            message = str(exc)
            if not message or len(message) > max_message or "\n" in message:
                problems.append(f"message of {len(message)} characters: {message[:200]!r}")
        except Hang:
            outcome = "hang"
            problems.append(f"no answer within {seconds} s")
        except MemoryError:
            outcome = "memory"
            problems.append("MemoryError (the address-space limit was reached)")
        except Exception as exc:  # noqa: BLE001 (that is the point: any other exception is a failure)
            outcome = type(exc).__name__
            tb = traceback.format_exception(exc)[-3:]
            problems.append(f"{type(exc).__name__}: {str(exc)[:200]} {''.join(tb)[:600]}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    problems += [f"{w.category.__name__} from {Path(w.filename).name}: {w.message}" for w in caught]
    return outcome, problems


def run(total: int, seed: int, seconds: float, folder: Path) -> dict:
    rng = random.Random(seed)
    table, max_message = loaders(folder)
    base = seeds(folder)
    counts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    for kind, share in SHARES.items():
        ext, load, refused = table[kind]
        path = folder / f"input{ext}"
        for i in range(round(total * share)):
            options = make_input(kind, rng, base, path)
            t0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, seconds)
            outcome, problems = attempt(load, path, options, refused, seconds, max_message)
            failures += [f"{kind} #{i}: {problem}" for problem in problems]
            took = time.perf_counter() - t0
            if took > slowest[0]:
                slowest = (took, f"{kind} #{i}")
            counts[kind] += 1
            outcomes[f"{kind}:{outcome}"] += 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "inputs": sum(counts.values()),
        "per_loader": dict(counts),
        "outcomes": dict(outcomes),
        "failures": failures[:50],
        "n_failures": len(failures),
        "slowest_s": round(slowest[0], 3),
        "slowest": slowest[1],
        "seconds": round(time.perf_counter() - started, 1),
        "peak_mb": round(peak),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=11_600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-mb", type=int, default=1500)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args(argv)
    limit = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with tempfile.TemporaryDirectory(prefix="bpstudio-fuzz-") as tmp:
        summary = run(args.inputs, args.seed, args.seconds, Path(tmp))
    summary["memory_limit_mb"] = args.memory_mb
    print(json.dumps(summary))
    return 1 if summary["n_failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
