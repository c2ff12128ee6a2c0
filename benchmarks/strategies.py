"""Training images/s for each tf.distribute strategy, XLA on and off, on the centred and
the 60x60 translated configs: the table in docs/speed.md.

    python benchmarks/strategies.py [--configs run_mnist,run_translated_mnist_paper] [--steps 300]
        [--json results/benchmarks/strategies.json]

Each cell is one fresh `benchmarks/throughput.py` process (a strategy and the
logical-device split must be set before TensorFlow starts): `default` (one
device), `mirrored` over 2 logical CPU devices (`--cpu-devices 2`, the way to
try it without GPUs), and `multi_worker` with two worker processes on
127.0.0.1 (TF_CONFIG per process, free ports; the chief's figure is
reported). `tpu` needs a TPU and is not measured here. With several replicas
XLA is measured off only: XLA compiles no cross-device collectives for CPUs. Batch 128 (the global
batch, split over the replicas). Takes about 15 minutes on 2 cores; run it
alone.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THROUGHPUT = os.path.join(REPO, "benchmarks", "throughput.py")
STRATEGIES = ("default", "mirrored", "multi_worker")


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def measure(config, strategy, jit, steps, batch_size):
    """The throughput.py report of one cell (the chief's, for multi_worker)."""
    with tempfile.TemporaryDirectory() as folder:
        flags = ["--config", config, "--steps", str(steps), "--batch-size", str(batch_size),
                 "--strategy", strategy] + ([] if jit else ["--no-jit"])
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        env.pop("TF_CONFIG", None)
        if strategy == "mirrored":
            flags += ["--cpu-devices", "2"]
        workers = 2 if strategy == "multi_worker" else 1
        ports = free_ports(workers)
        processes = []
        for index in range(workers):
            if strategy == "multi_worker":
                env = dict(env, TF_CONFIG=json.dumps({
                    "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                    "task": {"type": "worker", "index": index}}))
            path = os.path.join(folder, f"worker{index}.json")
            processes.append((path, subprocess.Popen(
                [sys.executable, THROUGHPUT, *flags, "--json", path], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        for _, process in processes:
            _, stderr = process.communicate(timeout=1200)
            if process.returncode != 0:
                raise RuntimeError(f"{config} {strategy} jit={jit} failed:\n{stderr[-3000:]}")
        with open(processes[0][0]) as f:
            report = json.load(f)
        report["processes"] = workers
        return report


def table(reports):
    """A markdown table: one row per config and strategy, XLA on and off."""
    rows = ["| config | strategy | replicas | XLA on (images/s) | XLA off (images/s) |",
            "|---|---|---|---|---|"]
    cells = {(r["config"], r["strategy"], r["jit_compile"]): r for r in reports}
    for config in dict.fromkeys(r["config"] for r in reports):
        for strategy in STRATEGIES:
            on, off = cells.get((config, strategy, True)), cells.get((config, strategy, False))
            if on is None and off is None:
                continue
            replicas = (on or off)["replicas"]
            rate = lambda cell: (f"{cell['train_images_per_s']:,}" if cell  # noqa: E731
                                 else "no XLA collectives on CPU")
            rows.append(f"| {config} | {strategy} | {replicas} | {rate(on)} | {rate(off)} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="run_mnist,run_translated_mnist_paper")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--steps", type=int, default=300, help="timed steps per cell")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--json", default=None, help="also write all cells to this file")
    args = parser.parse_args(argv)
    reports = []
    for config in args.configs.split(","):
        for strategy in args.strategies.split(","):
            # XLA compiles no cross-device collectives for CPUs (distribution.supports_xla):
            # with several replicas on this machine only the no-XLA cell exists.
            for jit in (True, False) if strategy == "default" else (False,):
                report = measure(config, strategy, jit, args.steps, args.batch_size)
                reports.append(report)
                print(f"{config:22s} {strategy:13s} XLA {'on ' if jit else 'off'}: "
                      f"{report['train_images_per_s']:>7,} images/s "
                      f"({report['replicas']} replicas)", flush=True)
    print()
    print(table(reports))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"cells": reports, "table": table(reports)}, f, indent=2)
            f.write("\n")
    return reports


if __name__ == "__main__":
    main()
