"""The machine's float32 matrix-product peak, and the FLOPs of a training step: speed as a
fraction of what the machine can do, measured in one run.

    python benchmarks/peak.py [--size 2048] [--seconds 3] [--json FILE]

`matmul_peak` times square float32 products in TensorFlow (XLA, the way
training runs) and in numpy (its BLAS), and takes the faster: GFLOP/s =
2 n^3 / seconds per product. This machine's speed varies by up to 2x from one
run to the next, so a throughput is only comparable as a ratio to the peak
measured beside it (`benchmarks/throughput.py` does both).

`training_flops_per_image` counts a model's training step from its dense
layers: every kernel of shape `(inputs, outputs)` costs `2 * inputs * outputs`
FLOPs per image per glimpse forward, and the backward pass twice that (the
gradients for the inputs and for the kernel), so 3x forward in all; the retina,
the activations, the losses and Adam are not counted (a few percent). Paths per
input multiply it.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine, write_json  # noqa: E402


def _best_rate(run, flops, seconds):
    """The best GFLOP/s of `run()` (which does `flops`) over `seconds` of repeats."""
    run()  # warm up (and compile)
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        run()
        best = max(best, flops / (time.perf_counter() - start) / 1e9)
    return best


def matmul_peak(size=2048, seconds=3.0):
    """`{"tensorflow_gflops", "numpy_gflops", "peak_gflops", "size"}` for float32 products."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    flops = 2.0 * size**3
    product = tf.function(lambda x, y: tf.matmul(x, y), jit_compile=True)
    ta, tb = tf.constant(a), tf.constant(b)
    tensorflow_rate = _best_rate(lambda: product(ta, tb).numpy(), flops, seconds)
    numpy_rate = _best_rate(lambda: a @ b, flops, seconds)
    return {"size": size, "tensorflow_gflops": round(tensorflow_rate, 1),
            "numpy_gflops": round(numpy_rate, 1),
            "peak_gflops": round(max(tensorflow_rate, numpy_rate), 1)}


def kernel_shapes(model):
    """`(inputs, outputs)` of every kernel of `model` (the products `training_flops_per_image`
    counts)."""
    return [tuple(w.shape) for w in model.trainable_weights if len(w.shape) == 2]


def step_products_rate(model, batch_size, seconds=3.0):
    """`{"tensorflow_gflops", "numpy_gflops", "best_gflops"}`: the rate of a training step's
    own products alone, at its shapes.

    Per glimpse and kernel `(i, o)`: the forward product `(batch, i) @ (i, o)` and the
    two backward ones, `(batch, o) @ (o, i)` and `(i, batch) @ (batch, o)`, with
    separate random operands per glimpse (nothing to share between them), timed in
    TensorFlow-XLA (one compiled function) and in numpy. This is a ceiling for the
    step at that batch size: a 128x256 by 256x256 product runs far below the rate of
    a 2048x2048 one.
    """
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    steps = model.num_steps * model.paths_per_input
    operands = []
    for _ in range(steps):
        for inputs, outputs in kernel_shapes(model):
            operands.append(tuple(rng.standard_normal(shape, dtype=np.float32) for shape in (
                (batch_size, inputs), (inputs, outputs), (batch_size, outputs))))
    flops = float(sum(3 * 2 * batch_size * w.shape[0] * w.shape[1] for _, w, _ in operands))

    def numpy_products():
        for x, w, dy in operands:
            x @ w, dy @ w.T, x.T @ dy

    @tf.function(jit_compile=True)
    def tensorflow_products(tensors):
        total = tf.constant(0.0)
        for x, w, dy in tensors:
            for product in (tf.matmul(x, w), tf.matmul(dy, w, transpose_b=True),
                            tf.matmul(x, dy, transpose_a=True)):
                total += tf.reduce_sum(product)
        return total

    tensors = [tuple(tf.constant(a) for a in triple) for triple in operands]
    tensorflow_rate = _best_rate(lambda: tensorflow_products(tensors).numpy(), flops, seconds)
    numpy_rate = _best_rate(numpy_products, flops, seconds)
    return {"batch_size": batch_size, "tensorflow_gflops": round(tensorflow_rate, 1),
            "numpy_gflops": round(numpy_rate, 1),
            "best_gflops": round(max(tensorflow_rate, numpy_rate), 1)}


def training_flops_per_image(model):
    """FLOPs of one training step per input image (see the module docstring)."""
    per_glimpse = 0
    for weight in model.trainable_weights:
        if len(weight.shape) == 2:  # a kernel (inputs, outputs); recurrent kernels too
            per_glimpse += 2 * weight.shape[0] * weight.shape[1]
    return 3 * per_glimpse * model.num_steps * model.paths_per_input


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    report = dict(matmul_peak(args.size, args.seconds), **machine())
    print(f"float32 {args.size}x{args.size} products: TensorFlow (XLA) "
          f"{report['tensorflow_gflops']} GFLOP/s, numpy {report['numpy_gflops']} GFLOP/s; "
          f"peak {report['peak_gflops']} GFLOP/s")
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
