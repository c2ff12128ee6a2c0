"""What every picture of ram_keras shares: exact pixel sizes, colours, image axes, PNG output.

All drawing uses matplotlib's Agg canvas on `Figure` objects (never pyplot,
never a window). A figure is made `size` pixels wide and high at `DPI`, and
image axes put image pixel `i` on `[i, i + 1)`, the convention of
`ram_keras.geometry`, so that boxes and centres drawn from that module lie
exactly where the retina read.
"""

import io
import os

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# A power of two, so that `pixels / DPI * DPI == pixels` exactly and every
# picture has the size its layout says. Font sizes are in points (1 pt = 8/9 px).
DPI = 64
# Colour of every glimpse centre marker; tests look for it at the centres.
CENTRE_COLOUR = "#ff1a1a"
TRACK_COLOUR = "#ffd21f"
CORRECT_COLOUR = "#1a8f3a"
MISTAKE_COLOUR = "#d62728"
GLIMPSE_COLOURMAP = "cool"


def new_figure(size):
    """A white figure of `size = (width, height)` pixels on an Agg canvas."""
    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def axes_at(figure, box, size):
    """Axes filling `box = (left, top, width, height)` (pixels, y down) exactly, no ticks."""
    left, top, width, height = box
    axes = figure.add_axes(
        (left / size[0], 1.0 - (top + height) / size[1], width / size[0], height / size[1]))
    axes.set_xticks([])
    axes.set_yticks([])
    return axes


def show_image(axes, image):
    """Draws an `(H, W)` or `(H, W, C)` image in [0, 1] so that pixel `i` covers `[i, i + 1)`."""
    image = np.clip(np.asarray(image, np.float32), 0.0, 1.0)
    height, width = image.shape[0], image.shape[1]
    if image.ndim == 3 and image.shape[-1] == 3:
        axes.imshow(image, interpolation="nearest", extent=(0, width, height, 0))
    else:
        axes.imshow(image.reshape(height, width), cmap="gray", vmin=0.0, vmax=1.0,
                    interpolation="nearest", extent=(0, width, height, 0))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_aspect("auto")  # the box already has the image's proportions


def glimpse_colours(num_glimpses):
    """One RGBA colour per glimpse (boxes, numbers, patch frames)."""
    cmap = colormaps[GLIMPSE_COLOURMAP]
    return [cmap(0.15 + 0.85 * t / max(1, num_glimpses - 1)) for t in range(num_glimpses)]


def verdict(prediction, label):
    """`(mark, colour)`: a green tick when `prediction == label`, a red cross when not."""
    if label is None:
        return "", "black"
    if int(prediction) == int(label):
        return " \u2713", CORRECT_COLOUR
    return " \u2717", MISTAKE_COLOUR


def figure_to_rgb(figure):
    """Renders a figure to a `(height, width, 3)` uint8 array."""
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def figure_to_png(figure):
    """The figure as PNG bytes, at its exact pixel size."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def save_figure(figure, path):
    """Writes a figure as PNG at its exact pixel size; creates the folder."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI, facecolor="white")
    return path
