"""What steps_per_execution saves, measured in pairs: one model per value in one process,
timed in alternating rounds, so that this machine's drift falls on both alike.

    python benchmarks/steps_per_execution.py [--config run_mnist] [--values 1,23]
        [--steps 230] [--rounds 6] [--json FILE]

Each value gets its own compiled model (`benchmarks/common.py`, as the runner
makes it, with `compile(steps_per_execution=N)`), warmed up (XLA compilation
included). Then, round after round, each model trains `--steps` steps with
`model.fit` (rounded up to a multiple of its N: Keras runs whole calls), in the
order A B, then B A, and so on, timed from the end of the first call to the end
of the last (`common.timed_fit`: the tear-down of the input iterator at the end
of a `fit` call has cost 0 to 3 s at random here). The report: ms per step of every round, the
median per value, and the median of the per-round ratios to the first value.
A single throughput figure on this machine varies 2x between runs; a ratio of
neighbouring rounds varies far less. Run it alone: on 2 cores anything else
running skews it.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import alternating_rounds, machine, paired_report, training_setup, write_json  # noqa: E402


def value_list(text):
    values = [int(v) for v in text.split(",") if v.strip()]
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"needs two or more integers >= 1, got {text!r}")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--values", type=value_list, default=[1, 23],
                        help="steps per execution to compare, the first is the reference "
                             "(default 1,23)")
    parser.add_argument("--steps", type=int, default=230, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    models = {}
    for value in args.values:
        config, model, dataset = training_setup(args.config, steps_per_execution=value)
        steps = -(-args.steps // value) * value
        warmup = -(-50 // value) * value
        model.fit(dataset, steps_per_epoch=warmup, epochs=1, verbose=0)
        models[value] = (model, dataset, steps)

    timings = alternating_rounds(
        {f"{value} per call": models[value] for value in args.values}, args.rounds)
    paired = paired_report(timings)
    reference = args.values[0]

    def by_value(table):
        return {int(name.split()[0]): figure for name, figure in table.items()}

    report = {
        "config": config["name"], "batch_size": config["batch_size"], "rounds": args.rounds,
        "timed_steps_per_round": {value: models[value][2] for value in args.values},
        "ms_per_step": by_value(paired["ms_per_step"]),
        "median_ms_per_step": by_value(paired["median_ms_per_step"]),
        f"median_speedup_over_{reference}": by_value(
            paired[f"median_speedup_over_{reference} per call"]),
        **machine(),
    }
    speedups = report[f"median_speedup_over_{reference}"]
    print(f"{config['name']}, batch {config['batch_size']}: median ms/step " + ", ".join(
        f"{value} per call {report['median_ms_per_step'][value]}" for value in args.values)
        + "; median speed-up over " + str(reference) + " per call: " + ", ".join(
        f"{value}: {speedups[value]}x" for value in speedups))
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
