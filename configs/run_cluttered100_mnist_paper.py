"""Cluttered translated MNIST: 100x100 canvas with 8 pieces of 8x8 clutter, 8 glimpses
of 12x12 at 4 scales (paper Table 2b, 100x100).

The paper's recipe as ram_keras first trained it: one sampled path per image, batch 128,
the ReLU core, REINFORCE kept from the core, Adam with a cosine-decayed rate.
`run_cluttered100_mnist` trains the same task (on tfRAM's clutter) with our recipe for the
hard tasks (docs/hard_tasks.md).

Training digits are placed (and cluttered) afresh every epoch; the test set is
fixed by `test_seed`, the validation set by `validation_seed`. Run
`python configs/run_cluttered100_mnist_paper.py --help` for the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A script of a source checkout imports the checkout's ram_keras; imported (by
# ram_keras.training.configs) or installed, the module leaves sys.path alone.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__" and os.path.isdir(os.path.join(_checkout, "ram_keras")):
    sys.path.insert(0, _checkout)

from ram_keras.defaults import PAPER_MODEL, TRAINING  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    **TRAINING,
    "name": "run_cluttered100_mnist_paper",
    "description": "RAM on cluttered 100x100 MNIST (8 pieces of clutter): 8 glimpses of 12x12, 4 scales.",
    "dataset": "cluttered_mnist",
    "canvas_size": 100,
    "clutter_pieces": 8,
    "test_seed": 1234,
    "validation_seed": 4321,
    "model": {
        **PAPER_MODEL,
        "image_shape": [100, 100, 1],
        "num_glimpses": 8,
        "glimpse_size": 12,
        "num_scales": 4,
    },
    "epochs": 100,
    "paper_test_error_percent": 8.11,
}

if __name__ == "__main__":
    main(CONFIG)
