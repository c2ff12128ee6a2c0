"""MNIST (loaded offline where possible), its canvases and clutter, and the tf.data pipelines.

Fashion-MNIST is `ram_keras.data.fashion_mnist`, a user's own images (class folders, `.npz`
files) `ram_keras.data.folders`.
"""

from ram_keras.data.canvases import make_canvases, make_fixed_canvases
from ram_keras.data.mnist import (
    VALIDATION_SIZE,
    DatasetNotFoundError,
    load_mnist,
    split_validation,
    to_float_images,
)
from ram_keras.data.pipelines import make_dataset

__all__ = [
    "make_canvases",
    "make_fixed_canvases",
    "VALIDATION_SIZE",
    "DatasetNotFoundError",
    "load_mnist",
    "split_validation",
    "to_float_images",
    "make_dataset",
]
