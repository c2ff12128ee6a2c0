"""The retina: multi-resolution square patches around a location."""

import keras
from keras import ops

from ram_keras import geometry

REDUCTIONS = ("mean", "sum")


def check_positive_int(owner, name, value):
    """Raises ValueError unless `value` is an int >= 1 (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: `{name}` must be a positive int, got {value!r}.")


@keras.saving.register_keras_serializable(package="ram_keras")
class GlimpseSensor(keras.layers.Layer):
    """Extracts `num_scales` square patches centred on a location.

    The first patch is `glimpse_size` x `glimpse_size` pixels; each next one is
    `scale` times wider. Every patch is reduced to `glimpse_size` x
    `glimpse_size` by blocks: patch `k` is cut into `scale**k` x `scale**k`
    blocks and each block is averaged (`reduction="mean"`, the paper's retina)
    or summed (`"sum"`: the number of lit pixels of a binary screen, which
    Catch uses because a one-pixel ball averaged over a 4x4 block reads only
    1/16). Pixels outside the image count as zero.

    Where a patch lies is `ram_keras.geometry`: `l = (row, col)` in
    `[-1, 1]^2`, `(0, 0)` the image centre, one unit of `l` half the image; a
    patch of width `w` covers the `w` pixels from `round(centre - w / 2)`.

    Each patch is one batched gather of its pixels from the flattened image
    (indices clipped into the image, pixels outside it zeroed by a mask)
    followed by a block reduction: no per-sample loop, no `crop_and_resize`,
    and the layer compiles under XLA. Locations get no gradient through the
    retina (patch corners are rounded); REINFORCE trains the policy.

    Args:
        glimpse_size: int, side `g` of every output patch, in pixels.
        num_scales: int, number of patches `k` (the retina's resolutions).
        scale: int, how many times wider each patch is than the previous one.
        reduction: `"mean"` or `"sum"` over each block.

    Input shape:
        A list `[images, locations]`: images `(batch, height, width, channels)`
        float, locations `(batch, 2)` in `[-1, 1]` as `(row, col)`.

    Output shape:
        `(batch, num_scales, glimpse_size, glimpse_size, channels)`.
    """

    def __init__(self, glimpse_size=8, num_scales=1, scale=2, reduction="mean", **kwargs):
        super().__init__(**kwargs)
        for name, value in (("glimpse_size", glimpse_size), ("num_scales", num_scales),
                            ("scale", scale)):
            check_positive_int("GlimpseSensor", name, value)
        if num_scales > 1 and scale < 2:
            raise ValueError(
                f"GlimpseSensor: `scale` must be >= 2 when num_scales > 1, got {scale}."
            )
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"GlimpseSensor: `reduction` must be one of {REDUCTIONS}, got {reduction!r}."
            )
        self.glimpse_size = glimpse_size
        self.num_scales = num_scales
        self.scale = scale
        self.reduction = reduction

    @property
    def patch_widths(self):
        """Width in image pixels of each patch, smallest first."""
        return geometry.patch_widths(self.glimpse_size, self.num_scales, self.scale)

    def _patch(self, flat_images, height, width, corner, patch_width):
        """One scale's patches, `(batch, g, g, channels)`: gathered, then block-reduced.

        `corner` is `(batch, 2)`, the patches' top-left pixels.
        """
        g = self.glimpse_size
        factor = patch_width // g
        batch, channels = ops.shape(flat_images)[0], flat_images.shape[-1]
        offsets = ops.arange(patch_width, dtype="int32")[None, :]
        rows = ops.cast(corner[:, 0], "int32")[:, None] + offsets
        cols = ops.cast(corner[:, 1], "int32")[:, None] + offsets
        row_inside = ops.cast(ops.logical_and(rows >= 0, rows < height), flat_images.dtype)
        col_inside = ops.cast(ops.logical_and(cols >= 0, cols < width), flat_images.dtype)
        indices = (ops.clip(rows, 0, height - 1)[:, :, None] * width
                   + ops.clip(cols, 0, width - 1)[:, None, :])
        pixels = ops.take_along_axis(
            flat_images, ops.reshape(indices, (batch, patch_width * patch_width, 1)), axis=1)
        pixels = ops.reshape(pixels, (batch, patch_width, patch_width, channels))
        pixels = pixels * (row_inside[:, :, None] * col_inside[:, None, :])[..., None]
        blocks = ops.reshape(pixels, (batch, g, factor, g, factor, channels))
        reduce = ops.mean if self.reduction == "mean" else ops.sum
        return reduce(blocks, axis=(2, 4))

    def call(self, inputs):
        images, locations = inputs
        images = ops.cast(images, self.compute_dtype)
        height, width = images.shape[1], images.shape[2]
        if height is None or width is None:
            raise ValueError("GlimpseSensor needs images with a known height and width.")
        corners = geometry.patch_corners(locations, (height, width), self.patch_widths)
        flat_images = ops.reshape(images, (ops.shape(images)[0], height * width,
                                           images.shape[3]))
        patches = [self._patch(flat_images, height, width, corners[:, k], w)
                   for k, w in enumerate(self.patch_widths)]
        # The retina passes no gradient, to the locations (rounded) nor to the images.
        # Saying so at its output keeps the gather's gradient out of the graph, which
        # XLA could not compile inside the rollout's loop (dynamic batch shapes).
        return ops.stop_gradient(ops.stack(patches, axis=1))

    def compute_output_shape(self, input_shape):
        images_shape = input_shape[0]
        g = self.glimpse_size
        return (images_shape[0], self.num_scales, g, g, images_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update({"glimpse_size": self.glimpse_size, "num_scales": self.num_scales,
                       "scale": self.scale, "reduction": self.reduction})
        return config
