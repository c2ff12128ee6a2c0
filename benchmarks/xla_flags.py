"""Do XLA's CPU flags speed up the small products a training step is made of?

    python benchmarks/xla_flags.py [--config run_mnist] [--seconds 3] [--json FILE]

For each setting of `XLA_FLAGS` below (the first: none), a fresh process (XLA
reads the flags once) times the config's step products alone at batch 128
(`peak.step_products_rate`: per glimpse and kernel the forward product and the
two backward ones, compiled with XLA; numpy beside it). The compiled training
step uses XLA's products, so a flag that does not move them cannot move the
step. Run it alone: on 2 cores anything else running skews it.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, machine, write_json  # noqa: E402

SETTINGS = [
    "",
    "--xla_cpu_use_onednn=true",
    "--xla_cpu_experimental_onednn_custom_call=true",
    "--xla_cpu_use_xnnpack=true",
    "--xla_cpu_experimental_xnn_fusion_type=dot",
    "--xla_cpu_experimental_onednn_fusion_type=dot",
    "--xla_cpu_experimental_ynn_fusion_type=dot",
    "--xla_cpu_experimental_xnn_graph_fusion_mode=XNN_GRAPH_FUSION_MODE_GREEDY",
    "--xla_cpu_use_thunk_runtime=false",
    "--xla_cpu_multi_thread_eigen=false",
    "--xla_cpu_enable_concurrency_optimized_scheduler=true",
]

# Run in the child process: the products' rates of the config's model, as JSON.
CHILD = """
import json, sys
sys.path.insert(0, {benchmarks!r})
from common import training_setup
from peak import step_products_rate
config, model, _ = training_setup({config!r})
print("RATES", json.dumps(step_products_rate(model, config["batch_size"], {seconds!r})))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    child = CHILD.format(benchmarks=os.path.dirname(os.path.abspath(__file__)),
                         config=args.config, seconds=args.seconds)
    rows = []
    for flags in SETTINGS:
        env = dict(os.environ, XLA_FLAGS=flags, TF_CPP_MIN_LOG_LEVEL="3")
        done = subprocess.run([sys.executable, "-c", child], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RATES ")]
        if done.returncode or not lines:
            row = {"xla_flags": flags, "error": (done.stderr or done.stdout)[-300:]}
            print(f"{flags or '(none)'}: failed", flush=True)
        else:
            rates = json.loads(lines[-1][len("RATES "):])
            row = {"xla_flags": flags, "tensorflow_gflops": rates["tensorflow_gflops"],
                   "numpy_gflops": rates["numpy_gflops"]}
            print(f"{flags or '(none)'}: XLA {rates['tensorflow_gflops']} GFLOP/s, "
                  f"numpy {rates['numpy_gflops']} GFLOP/s", flush=True)
        rows.append(row)
    report = {"config": args.config, "settings": rows, **machine()}
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
