"""The retina: multi-resolution square patches around a location."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ram_keras")
class GlimpseSensor(keras.layers.Layer):
    """Extracts `num_scales` square patches centred on a location.

    The first patch is `glimpse_size` x `glimpse_size` pixels; each next one is
    `scale` times wider. Every patch is reduced to `glimpse_size` x
    `glimpse_size` by area averaging (the mean of each `scale**k` x `scale**k`
    block), and pixels outside the image count as zero.

    Coordinates: a location `l = (row, col)` lies in `[-1, 1]^2`, `(0, 0)` is
    the image centre and `(-1, -1)` the top-left corner. In pixel units, where
    pixel `i` covers the interval `[i, i + 1)`, the glimpse centre is

        centre = (l + 1) / 2 * size_of_that_axis

    so `l = -1` puts the centre on the outer edge of the first pixel and
    `l = +1` on the outer edge of the last one: one unit of `l` moves the
    glimpse by half the image. Every pixel of the image can therefore be at the
    centre of a glimpse; at `l = +-1` half of each patch lies outside the image
    (zeros). A patch of width `w` covers the `w` pixels starting at
    `round(centre - w / 2)` (round half to even).

    Each patch is one batched gather of its pixels from the flattened image
    (indices clipped into the image, pixels outside it zeroed by a mask)
    followed by a block mean: no per-sample loop, no `crop_and_resize`, and
    the layer compiles under XLA. Locations get no gradient through the
    retina (patch offsets are rounded); REINFORCE trains the policy.

    Args:
        glimpse_size: int, side `g` of every output patch, in pixels.
        num_scales: int, number of patches `k` (the retina's resolutions).
        scale: int, how many times wider each patch is than the previous one.

    Input shape:
        A list `[images, locations]`: images `(batch, height, width, channels)`
        float, locations `(batch, 2)` in `[-1, 1]` as `(row, col)`.

    Output shape:
        `(batch, num_scales, glimpse_size, glimpse_size, channels)`.
    """

    def __init__(self, glimpse_size=8, num_scales=1, scale=2, **kwargs):
        super().__init__(**kwargs)
        for name, value in (
            ("glimpse_size", glimpse_size),
            ("num_scales", num_scales),
            ("scale", scale),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"GlimpseSensor: `{name}` must be a positive int, got {value!r}."
                )
        if num_scales > 1 and scale < 2:
            raise ValueError(
                f"GlimpseSensor: `scale` must be >= 2 when num_scales > 1, got {scale}."
            )
        self.glimpse_size = glimpse_size
        self.num_scales = num_scales
        self.scale = scale

    @property
    def patch_widths(self):
        """Width in image pixels of each patch, smallest first."""
        return [self.glimpse_size * self.scale**k for k in range(self.num_scales)]

    def _patch(self, flat_images, height, width, row_centres, col_centres, patch_width):
        """One scale's patches, `(batch, g, g, channels)`: gathered, then block-averaged.

        Gathers the `patch_width**2` pixels of each sample's patch from the
        flattened images (indices clipped into the image, pixels outside it
        then zeroed by a mask), and averages blocks of `f x f` pixels,
        `f = patch_width / g`.
        """
        g = self.glimpse_size
        factor = patch_width // g
        batch, channels = ops.shape(flat_images)[0], flat_images.shape[-1]
        offsets = ops.arange(patch_width, dtype="int32")[None, :]
        rows = ops.cast(ops.round(row_centres - patch_width / 2.0), "int32")[:, None] + offsets
        cols = ops.cast(ops.round(col_centres - patch_width / 2.0), "int32")[:, None] + offsets
        row_inside = ops.cast(ops.logical_and(rows >= 0, rows < height), "float32")
        col_inside = ops.cast(ops.logical_and(cols >= 0, cols < width), "float32")
        indices = (ops.clip(rows, 0, height - 1)[:, :, None] * width
                   + ops.clip(cols, 0, width - 1)[:, None, :])
        pixels = ops.take_along_axis(
            flat_images, ops.reshape(indices, (batch, patch_width * patch_width, 1)), axis=1)
        pixels = ops.reshape(pixels, (batch, patch_width, patch_width, channels))
        pixels = pixels * (row_inside[:, :, None] * col_inside[:, None, :])[..., None]
        blocks = ops.reshape(pixels, (batch, g, factor, g, factor, channels))
        return ops.mean(blocks, axis=(2, 4))

    def call(self, inputs):
        images, locations = inputs
        images = ops.cast(images, "float32")
        locations = ops.cast(locations, "float32")
        height, width = images.shape[1], images.shape[2]
        if height is None or width is None:
            raise ValueError("GlimpseSensor needs images with a known height and width.")
        row_centres = (locations[:, 0] + 1.0) / 2.0 * height
        col_centres = (locations[:, 1] + 1.0) / 2.0 * width
        flat_images = ops.reshape(images, (ops.shape(images)[0], height * width,
                                           images.shape[3]))
        patches = [self._patch(flat_images, height, width, row_centres, col_centres, w)
                   for w in self.patch_widths]
        return ops.stack(patches, axis=1)

    def compute_output_shape(self, input_shape):
        images_shape = input_shape[0]
        g = self.glimpse_size
        return (images_shape[0], self.num_scales, g, g, images_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "glimpse_size": self.glimpse_size,
                "num_scales": self.num_scales,
                "scale": self.scale,
            }
        )
        return config
