"""Cluttered 100x100 MNIST, trained with our recipe for the hard tasks.

The task of `run_cluttered100_mnist_paper` (8 pieces of 8x8 clutter on a 100x100 canvas,
8 glimpses of 12x12 at 4 scales), trained with `ram_keras.defaults.with_hard_task_recipe`
(tfRAM's recipe with one path for each of 320 images and Glorot weights; its docstring
says what it holds). 40 epochs of 10 passes fit in 3 hours on a 2-core CPU.

The clutter is tfRAM's definition (`clutter_style: blend`: the digit first, the pieces
alpha-blended over it, so clutter may cover the digit); `--clutter-style max` trains on the
paper config's.

Training digits are placed (and cluttered) afresh every pass; the test set is fixed by
`test_seed`, the validation set by `validation_seed`. A run that stops goes on from its last
epoch with `--resume` (every epoch is checkpointed in `checkpoints/<name>/`). Run `python
configs/run_cluttered100_mnist.py --help` for the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A script of a source checkout imports the checkout's ram_keras; imported (by
# ram_keras.training.configs) or installed, the module leaves sys.path alone.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__" and os.path.isdir(os.path.join(_checkout, "ram_keras")):
    sys.path.insert(0, _checkout)

from ram_keras.defaults import with_hard_task_recipe  # noqa: E402
from ram_keras.training.configs import read_config_module  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    **with_hard_task_recipe(read_config_module("run_cluttered100_mnist_paper")),
    "name": "run_cluttered100_mnist",
    "description": "RAM on cluttered 100x100 MNIST (8 pieces of clutter blended over the digit), our recipe for the hard tasks: 8 glimpses of 12x12, 4 scales, one path for each of 320 images per update, LSTM 256.",
    "clutter_style": "blend",
    "epochs": 40,
}

if __name__ == "__main__":
    main(CONFIG)
