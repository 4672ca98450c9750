"""Sub-commands and options on datasets: ``datasets``, and the data options of ``train``.

bpstudio datasets                                   list the built-ins (shapes, tasks, parameters)
bpstudio datasets NAME [--param noise=0.2 ...]      one built-in in detail
bpstudio datasets --data FILE [--target COL]        what importing a file gives (rows, filled values)
bpstudio train PROJECT --dataset NAME [--param K=V ...] | --data FILE [--target COL[,COL]] ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..data import Dataset, check_fits, load_dataset
from ..data.builtins import BUILTINS, get_builtin
from ..data.files import FORMATS
from ..data.preprocess import SCALINGS
from ..formats import DatasetSpec
from .common import CliError, Command, add_header_options, parse_target


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["noise=0.1", "n=200", "encoding=pm1"]`` → {"noise": 0.1, "n": 200, "encoding": "pm1"}.

    Each value is read as JSON when it is valid JSON (numbers, true/false, lists), else as text.
    """
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"--param: expected NAME=VALUE, e.g. noise=0.1, not {item!r}")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        out[key] = value
    return out


def file_spec(args: argparse.Namespace) -> dict[str, Any]:
    """The dataset specification of ``--data FILE`` and its options."""
    spec: dict[str, Any] = {"file": str(Path(args.data).expanduser().resolve())}
    if args.format:
        spec["format"] = args.format
    if getattr(args, "labels", None):
        spec["labels"] = str(Path(args.labels).expanduser().resolve())
    if args.target is not None:
        spec["target"] = parse_target(args.target)
    if getattr(args, "header", None) is not None:
        spec["header"] = args.header
    return spec


def _add_file_options(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument("--data", metavar="FILE", help="a data file: CSV, TSV, IDX (MNIST) or NPZ (.gz allowed)")
    p.add_argument(
        "--target",
        metavar="COL[,COL]",
        help="target column(s) of a CSV/TSV file, by name or number (1 = first, -1 = last; default: last)",
    )
    p.add_argument("--format", choices=FORMATS, help="the file's format (default: from its name)")
    p.add_argument("--labels", metavar="FILE", help="the labels file of IDX images (MNIST)")
    add_header_options(p)


# ---------------------------------------------------------------------------- datasets
def _configure_datasets(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="show this built-in dataset in detail")
    p.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="a parameter of the dataset (repeat)"
    )
    _add_file_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _row(name: str) -> dict[str, Any]:
    b = BUILTINS[name]
    ds = b.load({})
    return {
        "name": name,
        "title": b.title,
        "group": b.group,
        "samples": len(ds),
        "inputs": ds.n_inputs,
        "outputs": ds.n_outputs,
        "task": ds.task,
        "params": {p.name: p.default for p in b.params},
    }


def _detail(ds: Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": ds.name,
        "description": ds.description,
        "samples": len(ds),
        "inputs": ds.n_inputs,
        "outputs": ds.n_outputs,
        "task": ds.task,
        "input_names": list(ds.input_names),
        "target_names": list(ds.target_names),
        "class_names": list(ds.class_names),
        "suggested": ds.suggested,
        "params": ds.params,
        "source": ds.source,
    }
    if ds.report is not None:
        out["import"] = ds.report.to_dict()
    return out


def _short(names: list[str], limit: int = 8) -> str:
    return ", ".join(names[:limit]) + (f", … ({len(names)} in all)" if len(names) > limit else "")


def _print_detail(ds: Dataset, extra: list[str]) -> None:
    d = _detail(ds)
    print(f"{ds.name}: {ds.description}")
    k = ds.n_outputs
    print(
        f"  {len(ds):,} samples, {ds.n_inputs} input{'s' if ds.n_inputs != 1 else ''} "
        f"({_short(ds.input_names)}), {k} output{'s' if k != 1 else ''} ({_short(ds.target_names)})"
    )
    print(f"  task: {ds.task}" + (f"; classes: {_short(ds.class_names, 12)}" if ds.class_names else ""))
    s = d["suggested"]
    if s:
        line = f"  suggested: {'-'.join(map(str, s['sizes']))} network, "
        line += f"activations {', '.join(s['activations'])}"
        line += f", loss {s['loss']}"
        if s.get("scaling"):
            line += f", scaling {s['scaling']}"
        print(line)
    for text in extra:
        print(text)
    if ds.report is not None:
        print(f"  import: {ds.report.summary()}")
    if ds.source:
        print(f"  source: {ds.source}")


def _run_datasets(args: argparse.Namespace) -> int:
    if args.data:
        if args.name or args.param:
            raise CliError("--data: give either a built-in NAME (with --param) or --data FILE, not both")
        ds = load_dataset(file_spec(args))
        if args.json:
            print(json.dumps(_detail(ds), indent=1, ensure_ascii=False))
        else:
            _print_detail(ds, [])
        return 0
    if args.name:
        b = get_builtin(args.name)
        ds = b.load(parse_params(args.param))
        if args.json:
            print(
                json.dumps(_detail(ds) | {"title": b.title, "group": b.group}, indent=1, ensure_ascii=False)
            )
        else:
            extra = ["  parameters:"] + [f"    {p.describe()}" for p in b.params] if b.params else []
            _print_detail(ds, extra)
        return 0
    if args.param:
        raise CliError("--param: name the dataset, e.g. bpstudio datasets moons --param noise=0.2")
    rows = [_row(name) for name in BUILTINS]
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    group = None
    print(f"{'name':<15}{'samples':>8}{'inputs':>7}{'outputs':>8}  {'task':<11} parameters (defaults)")
    for r in rows:
        if r["group"] != group:
            group = r["group"]
            print(f"-- {group}")
        params = (
            " ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in r["params"].items())
            or "(none)"
        )
        print(f"{r['name']:<15}{r['samples']:>8}{r['inputs']:>7}{r['outputs']:>8}  {r['task']:<11} {params}")
    print("Details: bpstudio datasets NAME; use one: bpstudio train PROJECT --dataset NAME --param n=500 ...")
    return 0


# ---------------------------------------------------------------------------- train options
def add_train_data_options(p: argparse.ArgumentParser) -> None:
    """The data options of ``bpstudio train``; :func:`apply_train_data_options` applies them."""
    g = p.add_argument_group("data (replace the project's dataset)")
    g.add_argument("--dataset", metavar="NAME", help="a built-in dataset (see: bpstudio datasets)")
    g.add_argument("--param", action="append", metavar="NAME=VALUE", help="a parameter of --dataset (repeat)")
    _add_file_options(g)
    g.add_argument("--scaling", choices=SCALINGS, help="input scaling, fitted on the training split")
    g.add_argument("--val", type=float, metavar="FRACTION", help="fraction of samples kept for validation")
    g.add_argument("--test", type=float, metavar="FRACTION", help="fraction of samples kept for testing")
    g.add_argument("--split-seed", type=int, metavar="SEED", help="seed of the train/val/test split")


def apply_train_data_options(project: Any, args: argparse.Namespace) -> None:
    """Replace the project's dataset as the options say, after checking it fits the network."""
    if args.dataset and args.data:
        raise CliError("--dataset and --data: give one or the other")
    if args.param and not args.dataset:
        raise CliError("--param: only with --dataset NAME")
    if not args.data and (args.target is not None or args.labels or args.format or args.header is not None):
        raise CliError("--target/--labels/--format/--header: only with --data FILE")
    old = project.dataset.to_dict()
    if args.dataset:
        spec: dict[str, Any] = {"builtin": get_builtin(args.dataset).name}
        params = parse_params(args.param)
        if params:
            spec["params"] = params
    elif args.data:
        spec = file_spec(args)
    else:
        spec = {k: v for k, v in old.items()}
    for key in ("preprocessing", "split"):
        if key in old and key not in spec:
            spec[key] = old[key]
    if args.scaling is not None:
        spec["preprocessing"] = dict(spec.get("preprocessing") or {}) | {"scaling": args.scaling}
    split = dict(spec.get("split") or {})
    for key, value in (("val", args.val), ("test", args.test), ("seed", args.split_seed)):
        if value is not None:
            split[key] = value
    if split:
        spec["split"] = split
    if args.dataset or args.data:
        ds = load_dataset(spec)
        check_fits(ds, project.network.sizes)
        if ds.report is not None and ds.report.filled:
            print(f"bpstudio: {ds.report.summary()}", file=sys.stderr)
    if spec != old:  # the stored input transform belongs to the old data, scaling or split
        project.input_transform = None
    project.dataset = DatasetSpec(spec)


COMMANDS = (
    Command(
        "datasets",
        "list the built-in datasets, show one, or check a data file",
        _configure_datasets,
        _run_datasets,
    ),
)
