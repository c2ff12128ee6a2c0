"""Where a glimpse lies on the image: the one geometry of the retina and the pictures.

A location `l = (row, col)` lies in `[-1, 1]^2`; `(0, 0)` is the image centre
and `(-1, -1)` the top-left corner. In pixel units, where pixel `i` covers the
interval `[i, i + 1)`, the glimpse centre is

    centre = (l + 1) / 2 * size_of_that_axis

so `l = -1` puts the centre on the outer edge of the first pixel and `l = +1`
on the outer edge of the last one: one unit of `l` moves the glimpse by half
the image, and every pixel can be at the centre of a glimpse. A square patch of
width `w` covers the `w` pixels starting at `round(centre - w / 2)` (round half
to even) along each axis; pixels outside the image read as zeros.

`GlimpseSensor` reads its patches with these functions and the pictures of
`ram_keras.viz` draw them with the same ones, so a drawn box lies exactly on the
pixels the retina read. They take and return `keras.ops` tensors (numpy arrays
are accepted) in float32.
"""

from keras import ops


def patch_widths(glimpse_size, num_scales, scale):
    """Widths in image pixels of the retina's patches, smallest first: `g * scale**k`."""
    return [glimpse_size * scale**k for k in range(num_scales)]


def glimpse_centres(locations, image_size):
    """Glimpse centres in pixels, `(..., 2)` as `(row, col)`.

    Args:
        locations: `(..., 2)` locations `(row, col)` in `[-1, 1]`.
        image_size: `(height, width, ...)`; entries after the second are ignored.
    """
    size = ops.convert_to_tensor([float(image_size[0]), float(image_size[1])], "float32")
    return (ops.cast(locations, "float32") + 1.0) / 2.0 * size


def patch_corners(locations, image_size, widths):
    """Top-left pixel `(row, col)` of every patch, `(..., K, 2)` float32 (whole numbers).

    The patch of width `widths[k]` at location `l` covers the rows
    `corner[..., k, 0] .. corner[..., k, 0] + widths[k] - 1`, and likewise the
    columns.
    """
    centres = glimpse_centres(locations, image_size)
    half_widths = ops.convert_to_tensor([w / 2.0 for w in widths], "float32")
    return ops.round(ops.expand_dims(centres, -2) - ops.expand_dims(half_widths, -1))
