"""Where the time of one training step goes: input pipeline, retina, recurrent steps,
backward pass, optimizer.

    python benchmarks/profile_step.py [--config run_mnist] [--batch-size 128] [--repeats 200]
        [--no-jit] [--no-unroll] [--json FILE]

Times each part of a training step on its own, as a compiled tf.function (XLA
unless --no-jit) on one real training batch of the config, and the whole
step as `model.fit` runs it:

- input pipeline: producing one batch with the config's tf.data pipeline;
- retina: `GlimpseSensor` at every glimpse of the rollout (random locations);
- forward: the whole rollout with sampled locations and the loss (retina,
  glimpse network, core, location policy, heads): "recurrent steps" is
  forward minus retina;
- backward: gradients of the loss by GradientTape, minus the forward pass;
- optimizer: Adam's update of all weights from given gradients;
- train step: `model.train_step` (all of the above but the pipeline, fused).

The parts are compiled separately, so they need not add up to the fused step
exactly: XLA overlaps and fuses across part boundaries. Run it alone: on 2
cores anything else running skews it.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, training_setup, write_json  # noqa: E402


def time_function(function, repeats, warmup=5):
    """Mean seconds per call of a no-argument function (results fetched to the host)."""
    for _ in range(warmup):
        _fetch(function())
    start = time.perf_counter()
    for _ in range(repeats):
        _fetch(function())
    return (time.perf_counter() - start) / repeats


def _fetch(result):
    import tensorflow as tf

    for tensor in tf.nest.flatten(result):
        if hasattr(tensor, "numpy"):
            tensor.numpy()


def profile(config_name, batch_size, repeats, jit, unroll=None):
    """Milliseconds per batch of each part of a training step; a dict.

    `unroll` (True or False) overrides the config's choice between written-out
    glimpse steps and the symbolic loop.
    """
    import keras
    import tensorflow as tf

    changes = None if unroll is None else {"model": {"unroll": unroll}}
    config, model, dataset = training_setup(config_name, batch_size, jit, changes=changes)
    iterator = iter(dataset)
    images, labels = next(iterator)
    weights = model.trainable_weights
    glimpses = model.num_glimpses
    locations = tf.random.stateless_uniform((glimpses, batch_size, 2), (0, 1), -1.0, 1.0)

    def compiled(function):
        return tf.function(function, jit_compile=jit)

    @compiled
    def retina():
        return [model.glimpse_sensor([images, locations[t]]) for t in range(glimpses)]

    @compiled
    def forward():
        outputs = model.rollout(images, deterministic=False)
        return model.compute_loss_terms(labels, outputs)["loss"]

    @compiled
    def forward_backward():
        with tf.GradientTape() as tape:
            outputs = model.rollout(images, deterministic=False)
            loss = model.compute_loss_terms(labels, outputs)["loss"]
        return tape.gradient(loss, weights)

    gradients = [tf.identity(g) for g in forward_backward()]

    @compiled
    def optimizer_update():
        model.optimizer.apply(gradients, weights)
        return model.optimizer.iterations

    @compiled
    def train_step():
        return model.train_step((images, labels))["loss"]

    milliseconds = {
        "input_pipeline": 1000 * time_function(lambda: next(iterator), repeats),
        "retina": 1000 * time_function(retina, repeats),
        "forward": 1000 * time_function(forward, repeats),
        "forward_backward": 1000 * time_function(forward_backward, repeats),
        "optimizer": 1000 * time_function(optimizer_update, repeats),
        "train_step": 1000 * time_function(train_step, repeats),
    }
    step = milliseconds["train_step"]
    parts = {
        "retina": milliseconds["retina"],
        "recurrent_steps": milliseconds["forward"] - milliseconds["retina"],
        "backward": milliseconds["forward_backward"] - milliseconds["forward"],
        "optimizer": milliseconds["optimizer"],
    }
    keras.backend.clear_session()
    return {
        "config": config["name"],
        "batch_size": batch_size,
        "glimpses": glimpses,
        "jit_compile": jit,
        "unroll": config["model"].get("unroll", False),
        "repeats": repeats,
        "ms_per_batch": {k: round(v, 3) for k, v in milliseconds.items()},
        "parts_ms": {k: round(v, 3) for k, v in parts.items()},
        "parts_share_of_train_step": {k: round(v / step, 3) for k, v in parts.items()},
        "train_step_images_per_s": round(1000 * batch_size / step),
        "input_pipeline_images_per_s": round(1000 * batch_size / milliseconds["input_pipeline"]),
        **machine(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="run_mnist")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=200, help="timed calls of each part")
    parser.add_argument("--no-jit", action="store_true", help="disable XLA compilation")
    parser.add_argument("--no-unroll", action="store_true",
                        help="the symbolic loop over glimpses instead of the unrolled steps")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    report = profile(args.config, args.batch_size, args.repeats, not args.no_jit,
                     unroll=False if args.no_unroll else None)
    ms = report["ms_per_batch"]
    print(f"{report['config']}, batch {args.batch_size}, {report['glimpses']} glimpses, "
          f"XLA {'on' if report['jit_compile'] else 'off'}, "
          f"{'unrolled' if report['unroll'] else 'looped'} glimpse steps: "
          f"train step {ms['train_step']:.2f} ms "
          f"({report['train_step_images_per_s']:,} images/s)")
    print(f"  input pipeline {ms['input_pipeline']:.2f} ms per batch "
          f"({report['input_pipeline_images_per_s']:,} images/s, runs beside training)")
    for part, value in report["parts_ms"].items():
        share = report["parts_share_of_train_step"][part]
        print(f"  {part:16s} {value:7.2f} ms  {100 * share:5.1f}% of the step")
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
