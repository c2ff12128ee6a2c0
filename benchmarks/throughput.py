"""Training throughput (images/s) of a config's model, batch 128 by default.

    python benchmarks/throughput.py [--config run_mnist] [--batch-size 128] [--steps 300]
        [--no-jit] [--strategy default|mirrored|multi_worker|tpu] [--cpu-devices N]
        [--json FILE]

Times `model.fit` on the config's real training pipeline (tf.data from the
MNIST arrays, shuffled, shifted as in training), after a warm-up that
includes XLA compilation. Also times the input pipeline alone, to show it is
not the bottleneck. Run it alone: on 2 cores anything else running skews it.
"""

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=50, help="untimed steps first")
    parser.add_argument("--no-jit", action="store_true", help="disable XLA compilation")
    parser.add_argument("--strategy", default="default",
                        help="tf.distribute strategy (default, mirrored, multi_worker, tpu)")
    parser.add_argument("--cpu-devices", type=int, default=None,
                        help="split the CPU into N logical devices (for --strategy mirrored)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)

    import tensorflow as tf

    from ram_keras import distribution
    from ram_keras.experiment import (load_config, load_task_data, make_optimizer,
                                      training_dataset)
    from ram_keras.saving import build_model

    if args.cpu_devices:
        distribution.split_cpu(args.cpu_devices)
    strategy = distribution.make_strategy(args.strategy)
    config = load_config(args.config)
    (x_train, y_train), _ = load_task_data(config)
    dataset = training_dataset(config, x_train, y_train, args.batch_size, seed=0,
                               drop_remainder=True).repeat()

    # The input pipeline alone.
    iterator = iter(dataset)
    for _ in range(20):
        next(iterator)
    start = time.perf_counter()
    for _ in range(args.steps):
        next(iterator)
    pipeline_rate = args.steps * args.batch_size / (time.perf_counter() - start)

    jit = not args.no_jit and distribution.supports_xla(strategy)
    if not args.no_jit and not jit:
        print(f"note: XLA has no cross-device collectives on CPUs: {args.strategy} runs "
              "without XLA here")
    with strategy.scope():
        model = build_model(dict(config["model"], seed=0))
        model.compile(optimizer=make_optimizer(config, 1000, 100), jit_compile=jit)
        model.optimizer.build(model.trainable_variables)
    model.fit(dataset, steps_per_epoch=args.warmup, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=args.steps, epochs=1, verbose=0)
    elapsed = time.perf_counter() - start
    train_rate = args.steps * args.batch_size / elapsed
    report = {
        "config": config["name"],
        "batch_size": args.batch_size,
        "jit_compile": jit,
        "jit_requested": not args.no_jit,
        "strategy": args.strategy,
        "replicas": strategy.num_replicas_in_sync,
        "timed_steps": args.steps,
        "train_images_per_s": round(train_rate),
        "ms_per_step": round(1000 * elapsed / args.steps, 2),
        "input_pipeline_images_per_s": round(pipeline_rate),
        "cpu_count": os.cpu_count(),
        "tensorflow": tf.__version__,
        "python": platform.python_version(),
    }
    print(f"{config['name']}, batch {args.batch_size}, XLA {'on' if jit else 'off'}, "
          f"{args.strategy} ({strategy.num_replicas_in_sync} replicas): "
          f"{train_rate:,.0f} training images/s ({report['ms_per_step']} ms/step); "
          f"input pipeline alone {pipeline_rate:,.0f} images/s")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return report


if __name__ == "__main__":
    main()
