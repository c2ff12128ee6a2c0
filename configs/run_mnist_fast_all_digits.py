"""The final model of the fast centred recipe: `run_mnist_fast` on all 60,000 training digits.

`run_mnist_fast` (140 epochs of 50,000 digits) was chosen on the 10,000 held-out
validation digits; this config trains the same recipe on all 60,000, with no
validation pass, for 120 epochs: about the same number of training images and
updates (7.2 million images, 56,280 steps of 128, against 7.0 million and
54,740), so that it too trains in under 10 minutes here. The test set reports
once, at the end. Run `python configs/run_mnist_fast_all_digits.py --help` for
the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ram_keras.training.configs import read_config_module  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    **read_config_module("run_mnist_fast"),
    "name": "run_mnist_fast_all_digits",
    "description": "RAM on centred 28x28 MNIST, the fast recipe's final model: all 60,000 "
                   "training digits, 120 epochs (under 10 minutes).",
    "epochs": 120,
    "validation_digits": 0,
}

if __name__ == "__main__":
    main(CONFIG)
