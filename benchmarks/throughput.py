"""Training throughput (images/s) of a config's model, and as a fraction of the machine's peak.

    python benchmarks/throughput.py [--config run_mnist] [--batch-size 128] [--steps 300]
        [--no-jit] [--no-unroll] [--steps-per-execution N]
        [--strategy default|mirrored|multi_worker|tpu] [--cpu-devices N] [--json FILE]

Times `model.fit` on the config's real training pipeline (tf.data from the
MNIST arrays, shuffled, shifted or placed as in training), after a warm-up
that includes XLA compilation, from the end of its first call of the compiled
step to the end of its last (the whole `fit` call, with the input iterator's
set-up and tear-down, is reported beside it: `common.timed_fit`), and the
input pipeline alone, to show it is
not the bottleneck. In the same run it measures the float32 matrix-product
peak (`benchmarks/peak.py`) before and after, and reports the training step's
FLOP rate (`training_flops_per_image` x images/s) as a fraction of the higher
of the two: this machine's speed varies 2x between runs, a ratio in one run
does not. `--no-unroll` times the symbolic loop over glimpses instead of the
configs' written-out steps (the speed before and after that change, in one
sitting). `--steps-per-execution N` runs N training steps per call of the
compiled function (Keras's `compile` argument; default: the config's
`steps_per_execution`, else 1), to measure what the `fit` loop costs per
step; `--steps` and `--warmup` are rounded up to multiples of it. It also times
the step's own products alone at its shapes (`peak.step_products_rate`): the
ceiling of a step made of such small products, and the training rate as a
fraction of it. Run it alone: on 2 cores anything else running skews it.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, timed_fit, training_setup, write_json  # noqa: E402
from peak import matmul_peak, step_products_rate, training_flops_per_image  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=50, help="untimed steps first")
    parser.add_argument("--no-jit", action="store_true", help="disable XLA compilation")
    parser.add_argument("--no-unroll", action="store_true",
                        help="the symbolic loop over glimpses instead of the unrolled steps")
    parser.add_argument("--steps-per-execution", type=int, default=None,
                        help="training steps per call of the compiled function (default: the "
                             "config's steps_per_execution, else 1)")
    parser.add_argument("--strategy", default="default",
                        help="tf.distribute strategy (default, mirrored, multi_worker, tpu)")
    parser.add_argument("--cpu-devices", type=int, default=None,
                        help="split the CPU into N logical devices (for --strategy mirrored)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.steps_per_execution is None:
        from ram_keras.tasks import load_config

        args.steps_per_execution = load_config(args.config).get("steps_per_execution", 1)
    if args.steps_per_execution < 1:
        parser.error("--steps-per-execution must be at least 1")
    # Keras runs whole calls (300 steps in calls of 23 would run 322): round up.
    calls = args.steps_per_execution
    args.steps, args.warmup = (-(-n // calls) * calls for n in (args.steps, args.warmup))

    from ram_keras.training import distribution

    peak_before = matmul_peak()
    if args.cpu_devices:
        distribution.split_cpu(args.cpu_devices)
    strategy = distribution.make_strategy(args.strategy)
    jit = not args.no_jit and distribution.supports_xla(strategy)
    if not args.no_jit and not jit:
        print(f"note: XLA has no cross-device collectives on CPUs: {args.strategy} runs "
              "without XLA here")
    changes = {"model": {"unroll": False}} if args.no_unroll else None
    config, model, dataset = training_setup(args.config, args.batch_size, jit, strategy,
                                            changes=changes,
                                            steps_per_execution=args.steps_per_execution)
    dataset = distribution.shard_by_data(dataset)

    # The input pipeline alone.
    iterator = iter(dataset)
    for _ in range(20):
        next(iterator)
    start = time.perf_counter()
    for _ in range(args.steps):
        next(iterator)
    pipeline_rate = args.steps * args.batch_size / (time.perf_counter() - start)

    model.fit(dataset, steps_per_epoch=args.warmup, epochs=1, verbose=0)
    ms_per_step, fit_ms_per_step = timed_fit(model, dataset, args.steps)
    train_rate = 1000 * args.batch_size / ms_per_step
    peak_after = matmul_peak()
    peak = max(peak_before["peak_gflops"], peak_after["peak_gflops"])
    flops = training_flops_per_image(model)
    products = step_products_rate(model, args.batch_size // strategy.num_replicas_in_sync)
    report = {
        "config": config["name"],
        "batch_size": args.batch_size,
        "jit_compile": jit,
        "jit_requested": not args.no_jit,
        "unroll": config["model"].get("unroll", False),
        "steps_per_execution": args.steps_per_execution,
        "strategy": args.strategy,
        "replicas": strategy.num_replicas_in_sync,
        "timed_steps": args.steps,
        "train_images_per_s": round(train_rate),
        "ms_per_step": round(ms_per_step, 2),
        "fit_call_ms_per_step": round(fit_ms_per_step, 2),
        "input_pipeline_images_per_s": round(pipeline_rate),
        "training_flops_per_image": flops,
        "training_gflops": round(train_rate * flops / 1e9, 1),
        "matmul_peak_before": peak_before,
        "matmul_peak_after": peak_after,
        "fraction_of_peak": round(train_rate * flops / 1e9 / peak, 3),
        "step_products_alone": products,
        "step_products_fraction_of_peak": round(products["best_gflops"] / peak, 3),
        "fraction_of_step_products_rate": round(
            train_rate * flops / 1e9 / products["best_gflops"], 3),
        **machine(),
    }
    print(f"{config['name']}, batch {args.batch_size}, XLA {'on' if jit else 'off'}, "
          f"{'unrolled' if report['unroll'] else 'looped'} glimpse steps, "
          f"{args.steps_per_execution} step(s) per execution, "
          f"{args.strategy} ({strategy.num_replicas_in_sync} replicas): "
          f"{train_rate:,.0f} training images/s ({report['ms_per_step']} ms/step) = "
          f"{report['training_gflops']} GFLOP/s, {100 * report['fraction_of_peak']:.0f}% of the "
          f"matmul peak ({peak} GFLOP/s); input pipeline alone {pipeline_rate:,.0f} images/s; "
          f"the step's own products alone run at {products['best_gflops']} GFLOP/s "
          f"({100 * report['step_products_fraction_of_peak']:.0f}% of the peak), the training "
          f"at {100 * report['fraction_of_step_products_rate']:.0f}% of that")
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
