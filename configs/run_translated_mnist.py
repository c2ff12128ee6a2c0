"""Translated MNIST, trained with our recipe for the hard tasks.

The task of `run_translated_mnist_paper` (a digit at a random place on a 60x60 canvas, 8
glimpses of 12x12 at 3 scales), trained with `ram_keras.defaults.with_hard_task_recipe`
(tfRAM's recipe with one path for each of 320 images and Glorot weights; its docstring
says what it holds). 75 epochs of 10 passes fit in 3 hours on a 2-core CPU.

Training digits are placed (and cluttered) afresh every pass; the test set is fixed by
`test_seed`, the validation set by `validation_seed`. A run that stops goes on from its last
epoch with `--resume` (every epoch is checkpointed in `checkpoints/<name>/`). Run `python
configs/run_translated_mnist.py --help` for the flags.
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
    **with_hard_task_recipe(read_config_module("run_translated_mnist_paper")),
    "name": "run_translated_mnist",
    "description": "RAM on translated 60x60 MNIST, our recipe for the hard tasks: 8 glimpses of 12x12, 3 scales, one path for each of 320 images per update, LSTM 256.",
    "epochs": 75,
}

if __name__ == "__main__":
    main(CONFIG)
