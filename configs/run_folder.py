"""Your own images: a folder with one subfolder per class, or a .npz file of arrays.

    python configs/run_folder.py --data DIR [--test-data DIR] [--image-size H W]
        [--grayscale | --rgb] [--validation-fraction F] [--glimpses N]
        [--glimpse-size G] [--scales K] [--epochs E] ...
    python configs/run_folder.py --data FILE.npz ...    (x, y; optionally x_test, y_test,
                                                         class_names)

The images decide the model's image size, channels (grayscale or RGB) and
classes (the subfolder names, sorted); they must share one size unless
`--image-size` resizes them. A tenth of the training images (chosen by
`validation_seed`) validate after every epoch; `--test-data` images are
evaluated at the end. The retina defaults suit images of any size: 6
glimpses of 3 scales, the smallest patch a fifth of the shorter image side.
The model file keeps the class names and where the images are, so
`python evaluate.py run_folder MODEL` evaluates it and
`python evaluate.py run_folder MODEL --image FILE` classifies a file.
docs/own_data.md is the guide; `ram_keras.data.folders` reads the images.
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
    "name": "run_folder",
    "description": "RAM on your own images: a folder of class subfolders (--data DIR) or a "
                   ".npz file (--data FILE.npz).",
    "dataset": "folder",
    # The images (flags --data, --test-data, --image-size, --grayscale / --rgb).
    "data": None,
    "test_data": None,
    "image_size": None,
    "color_mode": None,
    "validation_fraction": 0.1,
    "validation_seed": 0,
    "model": {
        # image_shape, num_classes and glimpse_size come from the images.
        **{key: value for key, value in PAPER_MODEL.items() if key != "num_classes"},
        "num_glimpses": 6,
        "num_scales": 3,
    },
    "epochs": 50,
    "max_shift": 0,
}

if __name__ == "__main__":
    main(CONFIG)
