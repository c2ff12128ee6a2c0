"""Checks on images handed to the model, with errors that name the problem."""

import numpy as np


def validate_images(images, image_shape, name="images"):
    """Raises ValueError unless `images` is a float batch `(N, H, W, C)` in [0, 1].

    Args:
        images: array-like.
        image_shape: `(H, W, C)` the model was built for.
        name: what to call the argument in messages.

    Returns:
        The images as a float32 numpy array.
    """
    try:
        array = np.asarray(images)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {error}") from None
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be numeric float images, got dtype {array.dtype}.")
    if not np.issubdtype(array.dtype, np.floating):
        hint = " (divide uint8 images by 255)" if array.dtype == np.uint8 else ""
        raise ValueError(
            f"{name} must be float images in [0, 1], got dtype {array.dtype}{hint}."
        )
    expected = tuple(image_shape)
    if array.ndim != 4:
        raise ValueError(
            f"{name} must have rank 4 (batch, height, width, channels) = (N,) + {expected}, "
            f"got shape {array.shape}."
        )
    if tuple(array.shape[1:]) != expected:
        raise ValueError(
            f"{name} have shape {array.shape[1:]} per image but the model expects {expected}."
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contain NaN or inf values.")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got values from {low:g} to {high:g}.")
    return array.astype(np.float32, copy=False)

