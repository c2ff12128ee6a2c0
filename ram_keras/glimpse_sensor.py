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

    The patches are computed as batched matrix products with averaging
    matrices (one per axis and scale), built from the integer patch offsets:
    no per-sample loop, no `crop_and_resize`, and the layer compiles under XLA.

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

    def _averaging_matrices(self, centres, axis_size):
        """Averaging matrices `(batch, num_scales, g, axis_size)` for one axis.

        Entry `[n, k, i, p]` is `1 / f_k` when pixel `p` falls in the `i`-th
        block of `f_k = scale**k` pixels of sample `n`'s patch at scale `k`,
        else 0: multiplying by it selects and averages in one step.
        """
        g = self.glimpse_size
        widths = ops.convert_to_tensor(self.patch_widths, dtype="float32")
        factors = widths / g
        # Integer offset of each patch's first pixel: (batch, num_scales).
        starts = ops.round(centres[:, None] - widths[None, :] / 2.0)
        pixels = ops.arange(axis_size, dtype="float32")
        # Offset of every image pixel inside each patch: (batch, k, 1, axis).
        offsets = pixels[None, None, None, :] - starts[:, :, None, None]
        block = ops.floor(offsets / factors[None, :, None, None])
        rows = ops.arange(g, dtype="float32")[None, None, :, None]
        inside = ops.logical_and(offsets >= 0, offsets < widths[None, :, None, None])
        selected = ops.logical_and(inside, ops.equal(block, rows))
        return ops.cast(selected, "float32") / factors[None, :, None, None]

    def call(self, inputs):
        images, locations = inputs
        images = ops.cast(images, "float32")
        locations = ops.cast(locations, "float32")
        height, width = images.shape[1], images.shape[2]
        if height is None or width is None:
            raise ValueError("GlimpseSensor needs images with a known height and width.")
        row_centres = (locations[:, 0] + 1.0) / 2.0 * height
        col_centres = (locations[:, 1] + 1.0) / 2.0 * width
        row_matrices = self._averaging_matrices(row_centres, height)
        col_matrices = self._averaging_matrices(col_centres, width)
        rows_reduced = ops.einsum("nkih,nhwc->nkiwc", row_matrices, images)
        return ops.einsum("nkiwc,nkjw->nkijc", rows_reduced, col_matrices)

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
