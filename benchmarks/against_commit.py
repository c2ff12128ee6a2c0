"""This code's training step against an earlier commit's, in pairs in one process, timed in
alternating rounds, so that this machine's drift falls on both alike.

    python benchmarks/against_commit.py COMMIT [--config run_mnist] [--old-config NAME]
        [--steps-per-execution 7] [--steps 469] [--rounds 6] [--json FILE]

Two whole runs of two codes, minutes apart, differ by as much as this machine's
speed drifts (up to 2x); this compares the steps themselves. The earlier
commit's `ram_keras`, `configs/` and `benchmarks/common.py` are exported
(`git archive`) into a temporary folder, renamed to `ram_keras_at_commit` so
that both packages import side by side; each code then builds its config's
model, optimizer and training pipeline as its own runner does
(`common.training_setup` of each), with the same steps per call of the
compiled function (default: this code's config setting), and after a warm-up
(XLA compilation included) both train `--steps` steps per round with
`model.fit`, timed by `common.timed_fit`. `--old-config` names the config at
the commit when it had another name. Run it alone: on 2 cores anything else
running skews it.
"""

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, alternating_rounds, machine, paired_report, timed_fit, write_json  # noqa: E402

OLD_PACKAGE = "ram_keras_at_commit"


def export_commit(commit, folder):
    """`ram_keras`, `configs/` and `benchmarks/common.py` of `commit`, written into `folder`
    with the package renamed to `OLD_PACKAGE`; returns the renamed copy of common.py."""
    archive = subprocess.run(["git", "-C", REPO, "archive", commit, "ram_keras", "configs",
                              "benchmarks/common.py"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    os.rename(os.path.join(folder, "ram_keras"), os.path.join(folder, OLD_PACKAGE))
    # An installed or editable package finds its configs beside itself.
    os.rename(os.path.join(folder, "configs"), os.path.join(folder, OLD_PACKAGE, "configs"))
    pattern = re.compile(r"\bram_keras\b")
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path) as f:
                    text = f.read()
                with open(path, "w") as f:
                    f.write(pattern.sub(OLD_PACKAGE, text))
    return os.path.join(folder, "benchmarks", "common.py")


def import_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit")
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--old-config", default=None,
                        help="the config's name at the commit (default: --config)")
    parser.add_argument("--steps-per-execution", type=int, default=None,
                        help="steps per call of the compiled function, for both (default: "
                             "the largest divisor of an epoch's steps up to this code's "
                             "config setting, as the runner takes it)")
    parser.add_argument("--steps", type=int, default=469, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from common import training_setup

    from ram_keras.tasks import load_config, task_for
    from ram_keras.training.runner import steps_per_call

    per_call = args.steps_per_execution
    if per_call is None:
        config = load_config(args.config)
        task = task_for(config)
        data = task.load_data(config, types.SimpleNamespace(limit=None, eval_limit=None))
        per_call = steps_per_call(task.steps_per_epoch(config, data),
                                  config.get("steps_per_execution", 1))
    with tempfile.TemporaryDirectory() as folder:
        old_common = import_file("common_at_commit", export_commit(args.commit, folder))
        sys.path.insert(0, folder)
        steps = -(-args.steps // per_call) * per_call
        models = {}
        for name, setup, config_name in (
                (args.commit, old_common.training_setup, args.old_config or args.config),
                ("this code", training_setup, args.config)):
            _, model, dataset = setup(config_name, steps_per_execution=per_call)
            if not type(model).__module__.startswith(
                    OLD_PACKAGE if name == args.commit else "ram_keras."):
                raise RuntimeError(f"{name}: built {type(model).__module__}")
            for _ in range(2):
                timed_fit(model, dataset, steps)
            models[name] = (model, dataset, steps)
        report = {"config": args.config, "old_config": args.old_config or args.config,
                  "commit": args.commit, "steps_per_execution": per_call,
                  "timed_steps_per_round": steps, "rounds": args.rounds,
                  **paired_report(alternating_rounds(models, args.rounds)), **machine()}
    speedup = report[f"median_speedup_over_{args.commit}"]["this code"]
    print(f"{args.config}, {per_call} steps per call: median ms/step " + ", ".join(
        f"{name} {report['median_ms_per_step'][name]}" for name in models)
        + f"; this code's speed-up over {args.commit}: {speedup}x")
    if args.json:
        write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
