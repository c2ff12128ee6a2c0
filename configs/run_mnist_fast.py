"""`run_mnist`'s recipe on the validation split, for recipe work: 140 epochs of 50,000 digits.

The last 10,000 training digits are held out and validate after every epoch;
140 epochs of 50,000 digits are about the images and updates of `run_mnist`'s
120 epochs of 60,000. The recipe (140 epochs over 100, learning rate 5e-4 over
1e-3, 2.5e-4 and 2e-3) was chosen with this config on validation
(docs/results.md). `python benchmarks/time_to_accuracy.py --config run_mnist_fast`
measures when the validation error first reaches 1.12%. Run
`python configs/run_mnist_fast.py --help` for the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A script of a source checkout imports the checkout's ram_keras; imported (by
# ram_keras.training.configs) or installed, the module leaves sys.path alone.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__" and os.path.isdir(os.path.join(_checkout, "ram_keras")):
    sys.path.insert(0, _checkout)

from ram_keras.data import VALIDATION_SIZE  # noqa: E402
from ram_keras.training.configs import read_config_module  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    **read_config_module("run_mnist"),
    "name": "run_mnist_fast",
    "description": "RAM on centred 28x28 MNIST, run_mnist's recipe on 50,000 digits with "
                   "10,000 held out for validation, 140 epochs.",
    "epochs": 140,
    "validation_digits": VALIDATION_SIZE,
}

if __name__ == "__main__":
    main(CONFIG)
