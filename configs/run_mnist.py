"""Centred 28x28 MNIST, 6 glimpses of 8x8 at one scale (paper Table 1a).

Run `python configs/run_mnist.py --help` for the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ram_keras.defaults import PAPER_MODEL, TRAINING  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    **TRAINING,
    "name": "run_mnist",
    "description": "RAM on centred 28x28 MNIST: 6 glimpses of 8x8, 1 scale.",
    "dataset": "mnist",
    "model": {
        **PAPER_MODEL,
        "image_shape": [28, 28, 1],
        "num_glimpses": 6,
        "glimpse_size": 8,
        "num_scales": 1,
    },
    "epochs": 200,
    # Training digits shifted by up to 2 px, afresh every epoch; the test set is not.
    "max_shift": 2,
    "paper_test_error_percent": 1.12,
}

if __name__ == "__main__":
    main(CONFIG)
