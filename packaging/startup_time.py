"""Time Backprop Studio from process start to the first painted window, for several ways of starting it.

    python3 packaging/startup_time.py [--runs N] LABEL=COMMAND [LABEL=COMMAND ...]

e.g. ``frozen=packaging/dist/bpstudio/bpstudio "wheel=venv/bin/python -m bpstudio"``. Each command
is started with ``BPSTUDIO_QUIT_AFTER_PAINT=1``: the app opens its window on the default example,
prints ``first-paint SECONDS`` (seconds since its process started) once the network canvas has been
painted, and quits. The commands take turns (A, B, A, B, ...) after one untimed warm-up run each, so
a busy machine slows them alike. They run in an empty temporary folder (so ``python -m bpstudio``
imports the installed package, not a source checkout) with HOME pointing there. It prints the
median, minimum and maximum first-paint time and the median time until the process had exited; it
asserts nothing (timings go in docs/benchmarks.md).
Qt runs offscreen unless QT_QPA_PLATFORM is set.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(first-paint seconds reported by the app, wall seconds until the process exited)."""
    t0 = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]), wall
    raise RuntimeError(
        f"{shlex.join(command)} printed no first-paint line (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("commands", nargs="+", metavar="LABEL=COMMAND")
    args = parser.parse_args(argv)
    commands = []
    for spec in args.commands:
        label, sep, command = spec.partition("=")
        if not sep or not command.strip():
            parser.error(f"{spec!r} is not LABEL=COMMAND")
        words = shlex.split(command)
        if os.sep in words[0] and os.path.exists(words[0]):
            words[0] = os.path.abspath(words[0])
        commands.append((label, words))
    with tempfile.TemporaryDirectory(prefix="bpstudio-startup-") as home:
        env = dict(os.environ, BPSTUDIO_QUIT_AFTER_PAINT="1", BPSTUDIO_NO_RESTORE="1", HOME=home)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["XDG_CONFIG_HOME"] = os.path.join(home, "config")
        times: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in commands}
        try:
            for _label, command in commands:  # warm-up: page cache, font cache
                one_run(command, env, home)
            for _ in range(args.runs):
                for label, command in commands:
                    times[label].append(one_run(command, env, home))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"startup_time: {exc}", file=sys.stderr)
            return 1
    print(f"start to first painted window, {args.runs} runs each ({env['QT_QPA_PLATFORM']} platform):")
    for label, runs in times.items():
        paint = [p for p, _ in runs]
        wall = [w for _, w in runs]
        print(
            f"  {label:<12} median {statistics.median(paint):.2f} s  (min {min(paint):.2f}, "
            f"max {max(paint):.2f});  process exit median {statistics.median(wall):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
