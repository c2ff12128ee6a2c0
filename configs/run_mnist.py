"""Centred 28x28 MNIST, 6 glimpses of 8x8 at one scale (paper Table 1a).

Run `python configs/run_mnist.py --help` for the flags.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ram_keras.experiment import main  # noqa: E402

CONFIG = {
    "name": "run_mnist",
    "description": "RAM on centred 28x28 MNIST: 6 glimpses of 8x8, 1 scale.",
    "dataset": "mnist",
    "model": {
        "image_shape": [28, 28, 1],
        "num_classes": 10,
        "num_glimpses": 6,
        "glimpse_size": 8,
        "num_scales": 1,
        "scale": 2,
        "what_units": 128,
        "where_units": 128,
        "glimpse_units": 256,
        "core_units": 256,
        "core_type": "relu",
        "identity_init": True,
        "location_std": 0.1,
        "classification_weight": 1.0,
        "reinforce_weight": 1.0,
        "baseline_weight": 1.0,
    },
    "epochs": 200,
    "batch_size": 128,
    "learning_rate": 1e-3,
    "max_shift": 2,
    "seed": 0,
    "runs": 1,
    "mc_samples": 10,
    "strategy": "default",
    "paper_test_error_percent": 1.12,
}

if __name__ == "__main__":
    main(CONFIG)
