"""Fashion-MNIST: centred 28x28 pictures of 10 kinds of clothing, trained as MNIST is.

`run_mnist_fast`'s recipe (the model, schedule and 2-px shifts chosen on
MNIST's validation split) on Fashion-MNIST: the last 10,000 of its 60,000
training images validate after every epoch, the 10,000 test images are
evaluated at the end. Keras supplies the data (`ram_keras.data.fashion_mnist`:
its cache in ~/.keras/datasets/fashion-mnist/, else a download). Run
`python configs/run_fashion_mnist.py --help` for the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A script of a source checkout imports the checkout's ram_keras; imported (by
# ram_keras.training.configs) or installed, the module leaves sys.path alone.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__" and os.path.isdir(os.path.join(_checkout, "ram_keras")):
    sys.path.insert(0, _checkout)

from ram_keras.training.configs import read_config_module  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    # MNIST's error target means nothing here.
    **{key: value for key, value in read_config_module("run_mnist_fast").items()
       if key != "paper_test_error_percent"},
    "name": "run_fashion_mnist",
    "description": "RAM on centred 28x28 Fashion-MNIST (run_mnist_fast's recipe): 50,000 "
                   "training images, 10,000 held out for validation.",
    "dataset": "fashion_mnist",
}

if __name__ == "__main__":
    main(CONFIG)
