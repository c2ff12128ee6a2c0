"""Pictures of what a RecurrentAttentionModel does, and of how its training went.

Glimpses (used by `evaluate.py` and by TensorBoard during training):

- `trace_glimpses` runs the model on a few images and keeps, as numpy arrays,
  where it looked, the patches its retina returned there and its prediction
  after every glimpse (a `GlimpseTrace`);
- `draw_glimpse_figure`: one image with its gaze track above one column of
  patches per glimpse; `draw_animation_frame` / `save_animation`: a GIF with
  one frame per glimpse; `draw_overview`: a grid of images with their tracks,
  right and wrong answers marked; `save_glimpse_pictures` writes all three.

Training curves (used by `plot.py`): `load_results` reads a results.json
written by `ram_keras.experiment`, `draw_training_curves` plots one metric per
epoch.

TensorBoard: `TensorBoardLogger`, a Keras callback writing per-epoch scalars
and, every few epochs, glimpse figures. It writes the summaries with
`tf.summary.write` and TensorBoard's plugin metadata, so training does not need
the `tensorboard` package (only viewing the logs does).

Pixel geometry is the retina's (see `GlimpseSensor`): image pixel `i` covers
`[i, i + 1)`, a location `l = (row, col)` in `[-1, 1]` has its centre at
`(l + 1) / 2 * size` and a patch of width `w` covers the `w` pixels starting at
`round(centre - w / 2)`. Images are drawn with that extent, so the track and
the boxes lie exactly where the retina read. All drawing uses matplotlib's Agg
canvas on `Figure` objects (never pyplot, never a window); every figure has a
fixed size in pixels, described by the `*_layout` functions.
"""

import dataclasses
import io
import json
import math
import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from matplotlib import colormaps, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image

# A power of two, so that `pixels / DPI * DPI == pixels` exactly and every
# picture has the size its layout says. Font sizes are in points (1 pt = 8/9 px).
DPI = 64
# Colour of every glimpse centre marker; tests look for it at the centres.
CENTRE_COLOUR = "#ff1a1a"
TRACK_COLOUR = "#ffd21f"
CORRECT_COLOUR = "#1a8f3a"
MISTAKE_COLOUR = "#d62728"
GLIMPSE_COLOURMAP = "cool"

TRACK_SIDE = 280  # target side of the gaze-track panel of a glimpse figure, pixels
OVERVIEW_SIDE = 168  # target side of one image of the overview
PATCH_CELL = 64  # side of one displayed patch
GAP = 12
MARGIN = 16
TITLE_HEIGHT = 44
COLUMN_TITLE_HEIGHT = 36
ROW_LABEL_WIDTH = 52
OVERVIEW_COLUMNS = 4
OVERVIEW_CELL_TITLE = 24


# ---------------------------------------------------------------- geometry
def glimpse_centres(locations, image_size):
    """Glimpse centres in pixels, `(..., 2)` as `(row, col)`.

    Args:
        locations: `(..., 2)` locations `(row, col)` in `[-1, 1]`.
        image_size: `(height, width)` (more entries are ignored).

    Computed in float32 like `GlimpseSensor`, so the rounding of the patch
    corners (`patch_corners`) agrees with the retina's.
    """
    size = np.asarray(image_size[:2], np.float32)
    return (np.asarray(locations, np.float32) + np.float32(1.0)) / np.float32(2.0) * size


def patch_corners(locations, image_size, patch_widths):
    """Top-left pixel `(row, col)` of every retina patch, `(..., K, 2)` float.

    The patch of width `patch_widths[k]` at location `l` covers the rows
    `corner[k, 0] ... corner[k, 0] + width - 1` and likewise the columns, as
    `GlimpseSensor` reads them (round half to even, pixels outside are zero).
    """
    centres = glimpse_centres(locations, image_size)
    widths = np.asarray(patch_widths, np.float32)
    return np.round(centres[..., None, :] - widths[:, None] / np.float32(2.0))


@dataclasses.dataclass
class GlimpseTrace:
    """What a model saw on a batch of images: numpy arrays, one row per image.

    Attributes:
        images: `(N, height, width, channels)` float in [0, 1].
        locations: `(N, T, 2)` where the retina looked, `(row, col)` in [-1, 1].
        patches: `(N, T, K, g, g, channels)` the retina's output at each
            glimpse, smallest scale first (what the glimpse network received).
        probabilities: `(N, T, classes)` softmax of the logits after each glimpse.
        patch_widths: widths in image pixels of the K patches.
        deterministic: whether the locations are the policy's means.
    """

    images: np.ndarray
    locations: np.ndarray
    patches: np.ndarray
    probabilities: np.ndarray
    patch_widths: tuple
    deterministic: bool = True

    @property
    def image_shape(self):
        return tuple(self.images.shape[1:])

    @property
    def num_glimpses(self):
        return self.locations.shape[1]

    @property
    def centres(self):
        """`(N, T, 2)` glimpse centres in pixels."""
        return glimpse_centres(self.locations, self.image_shape)

    @property
    def corners(self):
        """`(N, T, K, 2)` top-left pixels of the patches."""
        return patch_corners(self.locations, self.image_shape, self.patch_widths)

    @property
    def predictions(self):
        """`(N, T)` predicted class after each glimpse."""
        return np.argmax(self.probabilities, axis=-1)

    @property
    def confidences(self):
        """`(N, T)` probability of the predicted class after each glimpse."""
        return np.max(self.probabilities, axis=-1)


def trace_glimpses(model, images, deterministic=True):
    """Runs `model.rollout` on `images` and returns a `GlimpseTrace`.

    The patches come from `model.glimpse_sensor` applied to the locations the
    rollout returned, so they are what the glimpse network was given.

    Args:
        model: a built `RecurrentAttentionModel`.
        images: `(N, H, W, C)` or `(N, H, W)` floats in [0, 1], the model's shape.
        deterministic: use the policy's mean locations; else sample them.
    """
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if tuple(images.shape[1:]) != tuple(model.image_shape):
        raise ValueError(
            f"The model expects images of shape {tuple(model.image_shape)}, "
            f"got {tuple(images.shape[1:])}."
        )
    outputs = model.rollout(images, deterministic=deterministic)
    locations = outputs["locations"]
    patches = ops.stack(
        [model.glimpse_sensor([images, locations[:, t]]) for t in range(model.num_glimpses)],
        axis=1,
    )
    return GlimpseTrace(
        images=images,
        locations=ops.convert_to_numpy(locations),
        patches=ops.convert_to_numpy(patches),
        probabilities=ops.convert_to_numpy(ops.softmax(outputs["logits"], axis=-1)),
        patch_widths=tuple(model.glimpse_sensor.patch_widths),
        deterministic=bool(deterministic),
    )


# ------------------------------------------------------------------ layouts
def _zoom(image_shape, side):
    return max(1, int(math.ceil(side / max(image_shape[0], image_shape[1]))))


def glimpse_figure_layout(image_shape, num_glimpses, num_scales):
    """Where `draw_glimpse_figure` puts things, in pixels of its picture.

    Boxes are `(left, top, width, height)` with y going down. Image pixel
    `(row, col)` of the track panel covers PNG pixels
    `[left + col * zoom, left + (col + 1) * zoom)` and likewise for rows.

    Returns:
        dict with `size` `(width, height)`, `zoom`, `track` (box of the
        image with the gaze track), `patches` (`patches[t][k]`, box of glimpse
        `t`'s patch at scale `k`).
    """
    height, width = image_shape[0], image_shape[1]
    zoom = _zoom(image_shape, TRACK_SIDE)
    track_w, track_h = width * zoom, height * zoom
    columns_w = ROW_LABEL_WIDTH + num_glimpses * (PATCH_CELL + GAP) - GAP
    fig_w = 2 * MARGIN + max(track_w, columns_w)
    track = ((fig_w - track_w) // 2, TITLE_HEIGHT, track_w, track_h)
    patches_top = TITLE_HEIGHT + track_h + MARGIN + COLUMN_TITLE_HEIGHT
    columns_left = (fig_w - columns_w) // 2 + ROW_LABEL_WIDTH
    patches = [
        [
            (columns_left + t * (PATCH_CELL + GAP), patches_top + k * (PATCH_CELL + GAP),
             PATCH_CELL, PATCH_CELL)
            for k in range(num_scales)
        ]
        for t in range(num_glimpses)
    ]
    fig_h = patches_top + num_scales * (PATCH_CELL + GAP) - GAP + MARGIN
    return {"size": (fig_w, fig_h), "zoom": zoom, "track": track, "patches": patches}


def animation_frame_layout(image_shape, num_scales):
    """Where `draw_animation_frame` puts things (same conventions as
    `glimpse_figure_layout`): `size`, `zoom`, `track`, `patches[k]`."""
    height, width = image_shape[0], image_shape[1]
    zoom = _zoom(image_shape, TRACK_SIDE)
    track_w, track_h = width * zoom, height * zoom
    column_h = num_scales * (PATCH_CELL + GAP) - GAP
    left = MARGIN + track_w + MARGIN + ROW_LABEL_WIDTH
    patches = [(left, TITLE_HEIGHT + k * (PATCH_CELL + GAP), PATCH_CELL, PATCH_CELL)
               for k in range(num_scales)]
    size = (left + PATCH_CELL + MARGIN, TITLE_HEIGHT + max(track_h, column_h) + MARGIN)
    return {"size": size, "zoom": zoom, "track": (MARGIN, TITLE_HEIGHT, track_w, track_h),
            "patches": patches}


def overview_layout(image_shape, count):
    """Where `draw_overview` puts things: `size`, `zoom`, `columns`, and
    `tracks[i]`, the box of image `i` (row-major grid, up to 4 columns)."""
    height, width = image_shape[0], image_shape[1]
    zoom = _zoom(image_shape, OVERVIEW_SIDE)
    cell_w, cell_h = width * zoom, height * zoom
    columns = max(1, min(count, OVERVIEW_COLUMNS))
    rows = max(1, math.ceil(count / columns))
    step_x, step_y = cell_w + 2 * GAP, cell_h + OVERVIEW_CELL_TITLE + 2 * GAP
    # Wide enough for the figure title even with one small image.
    fig_w = max(2 * MARGIN + columns * step_x - 2 * GAP, 320)
    left0 = (fig_w - (columns * step_x - 2 * GAP)) // 2
    tracks = [
        (left0 + (i % columns) * step_x,
         TITLE_HEIGHT + OVERVIEW_CELL_TITLE + (i // columns) * step_y, cell_w, cell_h)
        for i in range(count)
    ]
    fig_h = TITLE_HEIGHT + rows * step_y - 2 * GAP + MARGIN
    return {"size": (fig_w, fig_h), "zoom": zoom, "columns": columns, "tracks": tracks}


# ------------------------------------------------------------------ drawing
def _new_figure(size):
    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _axes_at(figure, box, size):
    """Axes filling `box` (pixels, y down) exactly, without ticks."""
    left, top, width, height = box
    axes = figure.add_axes(
        (left / size[0], 1.0 - (top + height) / size[1], width / size[0], height / size[1])
    )
    axes.set_xticks([])
    axes.set_yticks([])
    return axes


def _show(axes, image):
    """Draws an `(H, W, C)` image so that pixel `i` covers `[i, i + 1)`."""
    height, width = image.shape[0], image.shape[1]
    image = np.clip(image, 0.0, 1.0)
    if image.shape[-1] == 3:
        axes.imshow(image, interpolation="nearest", extent=(0, width, height, 0))
    else:
        axes.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0,
                    interpolation="nearest", extent=(0, width, height, 0))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_aspect("auto")  # the box already has the image's proportions


def glimpse_colours(num_glimpses):
    """One RGBA colour per glimpse (boxes, numbers, patch frames)."""
    cmap = colormaps[GLIMPSE_COLOURMAP]
    return [cmap(0.15 + 0.85 * t / max(1, num_glimpses - 1)) for t in range(num_glimpses)]


def _draw_track(axes, centres, corners, patch_widths, upto=None, boxes="all",
                marker_size=9.0, font_size=10.0, numbers=True):
    """Draws a gaze track on image axes.

    Glimpses `0 .. upto` (all by default): a line joining their centres, a
    `CENTRE_COLOUR` dot on each centre (on top of everything else, so the dot
    is always visible at the exact centre) and its number beside it; and the
    squares of every retina scale (larger ones fainter) at the glimpses chosen
    by `boxes`: "all", "last" (drawn thicker) or "none".
    """
    count = len(centres) if upto is None else upto + 1
    colours = glimpse_colours(len(centres))
    rows, cols = centres[:count, 0], centres[:count, 1]
    axes.plot(cols, rows, "-", color=TRACK_COLOUR, linewidth=1.6, zorder=3, clip_on=False)
    boxed = {"all": range(count), "last": [count - 1], "none": []}[boxes]
    scales = len(patch_widths)
    for t in boxed:
        width = 2.6 if boxes == "last" else 1.3
        for k, w in enumerate(patch_widths):
            # Larger scales fainter, so the small (sharp) patches stand out.
            fade = k / max(1, scales - 1)
            top, left = corners[t, k]
            axes.add_patch(Rectangle((left, top), w, w, fill=False, edgecolor=colours[t],
                                     linewidth=width * (1.0 - 0.35 * fade),
                                     alpha=1.0 - 0.4 * fade, zorder=2))
    if numbers:
        outline = [patheffects.withStroke(linewidth=2.5, foreground="black")]
        for t in range(count):
            axes.annotate(str(t + 1), (cols[t], rows[t]), xytext=(5, 4),
                          textcoords="offset points", color=colours[t], fontsize=font_size,
                          fontweight="bold", zorder=4, annotation_clip=False,
                          path_effects=outline)
    axes.plot(cols, rows, "o", linestyle="none", markersize=marker_size,
              markerfacecolor=CENTRE_COLOUR, markeredgecolor="white", markeredgewidth=1.0,
              zorder=5, clip_on=False)


def _verdict(prediction, label):
    if label is None:
        return "", "black"
    if int(prediction) == int(label):
        return " \u2713", CORRECT_COLOUR
    return " \u2717", MISTAKE_COLOUR


def _show_patches(figure, size, boxes, patches, colour, widths, label_side):
    for k, box in enumerate(boxes):
        axes = _axes_at(figure, box, size)
        _show(axes, patches[k])
        for spine in axes.spines.values():
            spine.set_edgecolor(colour)
            spine.set_linewidth(2.0)
        if label_side:
            left, top, _, height = box
            figure.text((left - 6) / size[0], 1.0 - (top + height / 2) / size[1],
                        f"{widths[k]}\u00d7{widths[k]}", ha="right", va="center", fontsize=11)


def draw_glimpse_figure(trace, index, label=None):
    """The figure of one image: where the model looked and what it saw.

    Top: the image with its gaze track (numbered glimpse centres joined by a
    line, the squares of every retina scale at each glimpse, one colour per
    glimpse) and a title with the label and the final prediction. Below: one
    column per glimpse with that glimpse's patches of every scale as the
    network received them (smallest first, each framed in the glimpse's
    colour, row labels give the patch width in image pixels), under the
    prediction and its probability after that glimpse (green when right,
    red when wrong, if `label` is given).

    Args:
        trace: a `GlimpseTrace`.
        index: which image of the trace.
        label: its true class, or None.

    Returns:
        A matplotlib `Figure` of `glimpse_figure_layout(...)["size"]` pixels.
    """
    layout = glimpse_figure_layout(trace.image_shape, trace.num_glimpses,
                                   len(trace.patch_widths))
    size = layout["size"]
    figure = _new_figure(size)
    predictions, confidences = trace.predictions[index], trace.confidences[index]
    mark, colour = _verdict(predictions[-1], label)
    head = f"label {label} \u00b7 " if label is not None else ""
    figure.text(0.5, 1.0 - 10 / size[1],
                f"{head}predicted {predictions[-1]} ({confidences[-1]:.0%}){mark}",
                ha="center", va="top", fontsize=15, color=colour, fontweight="bold")
    axes = _axes_at(figure, layout["track"], size)
    _show(axes, trace.images[index])
    _draw_track(axes, trace.centres[index], trace.corners[index], trace.patch_widths)
    colours = glimpse_colours(trace.num_glimpses)
    for t in range(trace.num_glimpses):
        boxes = layout["patches"][t]
        _show_patches(figure, size, boxes, trace.patches[index, t], colours[t],
                      trace.patch_widths, label_side=(t == 0))
        left, top = boxes[0][0], boxes[0][1]
        _, text_colour = _verdict(predictions[t], label)
        figure.text((left + PATCH_CELL / 2) / size[0], 1.0 - (top - 4) / size[1],
                    f"#{t + 1}: {predictions[t]}\n{confidences[t]:.0%}", ha="center",
                    va="bottom", fontsize=11, color=text_colour, linespacing=1.1)
    return figure


def draw_animation_frame(trace, index, step, label=None):
    """One frame of the glimpse animation: the state after glimpse `step`.

    Left: the image with the track so far (glimpses `0 .. step`, numbered)
    and the squares of every scale of the current glimpse only. Right: the
    current glimpse's patches. Title: the glimpse number and the current
    prediction with its probability (green / red against `label`).

    Returns:
        A matplotlib `Figure` of `animation_frame_layout(...)["size"]` pixels.
    """
    layout = animation_frame_layout(trace.image_shape, len(trace.patch_widths))
    size = layout["size"]
    figure = _new_figure(size)
    prediction = trace.predictions[index, step]
    mark, colour = _verdict(prediction, label)
    head = f"label {label}: " if label is not None else ""
    figure.text(0.5, 1.0 - 10 / size[1],
                f"glimpse {step + 1}/{trace.num_glimpses} \u00b7 {head}predicts {prediction} "
                f"({trace.confidences[index, step]:.0%}){mark}",
                ha="center", va="top", fontsize=14, color=colour, fontweight="bold")
    axes = _axes_at(figure, layout["track"], size)
    _show(axes, trace.images[index])
    _draw_track(axes, trace.centres[index], trace.corners[index], trace.patch_widths,
                upto=step, boxes="last")
    _show_patches(figure, size, layout["patches"], trace.patches[index, step],
                  glimpse_colours(trace.num_glimpses)[step], trace.patch_widths,
                  label_side=True)
    return figure


def draw_overview(trace, labels=None, title=None):
    """A grid of the trace's images, each with its gaze track (numbered
    centres joined by a line), titled `label -> prediction` and framed green
    when the final prediction is right, red when it is wrong.

    Returns:
        A matplotlib `Figure` of `overview_layout(...)["size"]` pixels.
    """
    count = len(trace.images)
    layout = overview_layout(trace.image_shape, count)
    size = layout["size"]
    figure = _new_figure(size)
    finals = trace.predictions[:, -1]
    if title is None:
        policy = "deterministic" if trace.deterministic else "sampled"
        title = f"{count} images, {policy} glimpses"
    if labels is not None:
        correct = int(np.sum(finals == np.asarray(labels)[:count]))
        title = f"{title}: {correct}/{count} correct"
    figure.text(0.5, 1.0 - 10 / size[1], title, ha="center", va="top", fontsize=15,
                fontweight="bold")
    for i in range(count):
        axes = _axes_at(figure, layout["tracks"][i], size)
        _show(axes, trace.images[i])
        _draw_track(axes, trace.centres[i], trace.corners[i], trace.patch_widths,
                    boxes="none", marker_size=7.0, font_size=8.0)
        label = None if labels is None else int(labels[i])
        mark, colour = _verdict(finals[i], label)
        text = f"{label} \u2192 {finals[i]}{mark}" if label is not None else f"\u2192 {finals[i]}"
        axes.set_title(text, fontsize=12, color=colour, fontweight="bold", pad=4)
        for spine in axes.spines.values():
            spine.set_edgecolor(colour if label is not None else "black")
            spine.set_linewidth(3.0 if label is not None else 1.0)
    return figure


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
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI, facecolor="white")
    return path


def save_animation(trace, index, path, label=None, frame_ms=800, last_frame_ms=2000):
    """Writes an animated GIF (looping) with exactly one frame per glimpse,
    each frame drawn by `draw_animation_frame`."""
    frames = [
        Image.fromarray(figure_to_rgb(draw_animation_frame(trace, index, t, label)))
        .convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
        for t in range(trace.num_glimpses)
    ]
    durations = [frame_ms] * (len(frames) - 1) + [last_frame_ms]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
    return path


def save_glimpse_pictures(trace, folder, labels=None, title=None):
    """Writes every picture of a trace into `folder`.

    Files: `image000.png` ... (`draw_glimpse_figure`), `image000.gif` ...
    (`save_animation`) and `overview.png` (`draw_overview`).

    Returns:
        dict with `folder`, `overview`, `figures` and `animations` (paths).
    """
    os.makedirs(folder, exist_ok=True)
    written = {"folder": folder, "overview": None, "figures": [], "animations": []}
    for i in range(len(trace.images)):
        label = None if labels is None else int(labels[i])
        written["figures"].append(
            save_figure(draw_glimpse_figure(trace, i, label),
                        os.path.join(folder, f"image{i:03d}.png")))
        written["animations"].append(
            save_animation(trace, i, os.path.join(folder, f"image{i:03d}.gif"), label))
    written["overview"] = save_figure(draw_overview(trace, labels, title),
                                      os.path.join(folder, "overview.png"))
    return written


# ---------------------------------------------------------- training curves
class ResultsFileError(ValueError):
    """A results.json that cannot be plotted; the message says which and why."""


def load_results(path):
    """Reads a results.json written by `ram_keras.experiment.run_experiment`
    or by Catch training (`ram_keras.catch_training`).

    Checks its shape: a dict whose `runs` is a non-empty list of runs, each
    with a `history` dict of equally long lists (`epoch`, `train_<metric>`,
    `test_<metric>`, ...) of numbers. A Catch results.json holds one run's
    `history` at the top level; it is returned as a single run in `runs`.

    Raises:
        ResultsFileError: a missing or unreadable file, not JSON, wrong shape.
    """
    try:
        with open(path) as f:
            results = json.load(f)
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{path} is a folder, not a results.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultsFileError(f"{path} is not JSON ({error})") from None
    except OSError as error:
        raise ResultsFileError(f"cannot read {path}: {error.strerror}") from None

    def bad(why):
        return ResultsFileError(f"{path} is not a results.json of ram_keras: {why}")

    if isinstance(results, dict) and "runs" not in results and "history" in results:
        results = dict(results, runs=[{"history": results["history"]}])
    if not isinstance(results, dict) or not isinstance(results.get("runs"), list):
        raise bad("no list 'runs' (nor a Catch run's 'history')")
    if not results["runs"]:
        raise bad("'runs' is empty")
    for i, run in enumerate(results["runs"]):
        history = run.get("history") if isinstance(run, dict) else None
        if not isinstance(history, dict) or not isinstance(history.get("epoch"), list):
            raise bad(f"run {i} has no 'history' with a list 'epoch'")
        for key, values in history.items():
            if not isinstance(values, list) or len(values) != len(history["epoch"]):
                raise bad(f"run {i} history {key!r} is not a list as long as 'epoch'")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
                raise bad(f"run {i} history {key!r} holds something that is not a number")
    config = results.get("config")
    if config is not None and not isinstance(config, dict):
        raise bad("'config' is not a dict")
    return results


def tracked_metrics(results):
    """Names of the metrics a results dict tracks (without train_/test_)."""
    names = set()
    for run in results["runs"]:
        for key in run["history"]:
            for prefix in ("train_", "test_"):
                if key.startswith(prefix):
                    names.add(key[len(prefix):])
    return sorted(names)


def _series_keys(metric):
    if metric.startswith(("train_", "test_")):
        return [metric]
    return [f"test_{metric}", f"train_{metric}"]


def mean_and_std_per_epoch(results, key):
    """`(epochs, mean, std, runs)` of history `key` over the runs that have it.

    Runs are aligned on their epoch numbers, so a run still in progress
    counts only for the epochs it has finished.
    """
    by_epoch = {}
    runs = 0
    for run in results["runs"]:
        history = run["history"]
        if key not in history or not history[key]:
            continue
        runs += 1
        for epoch, value in zip(history["epoch"], history[key]):
            by_epoch.setdefault(epoch, []).append(value)
    epochs = np.array(sorted(by_epoch), dtype=float)
    mean = np.array([np.mean(by_epoch[e]) for e in sorted(by_epoch)])
    std = np.array([np.std(by_epoch[e]) for e in sorted(by_epoch)])
    return epochs, mean, std, runs


def _name(results, fallback):
    config = results.get("config") or {}
    return str(config.get("name") or fallback)


def draw_training_curves(results_list, metric="accuracy", labels=None, paths=None):
    """Training curves of one metric per epoch, from one or more results.

    For each results dict (one colour each): the test curve (solid;
    deterministic policy) and the train curve (dotted; sampled glimpses),
    each the mean over the runs with a shaded +-std band when there are
    several runs; and, for accuracy, the paper's test accuracy as a dashed
    line where the config has `paper_test_error_percent`. Axis labels,
    legend, and a title made of the config names.

    Args:
        results_list: dicts from `load_results`.
        metric: a tracked metric (`accuracy`, `loss`, `classification_loss`,
            `reinforce_loss`, `baseline_loss`, `reward`, ...) for its train
            and test curves, or one curve such as `test_accuracy`.
        labels: one legend label per results (default: the config names,
            with the file's path from `paths` added where names repeat).
        paths: the files the results came from, or None.

    Raises:
        ValueError: when no results track the metric.
    """
    keys = _series_keys(metric)
    if not any(key in run["history"] for results in results_list
               for run in results["runs"] for key in keys):
        known = sorted({m for results in results_list for m in tracked_metrics(results)})
        raise ValueError(f"unknown metric {metric!r}; the results track: {', '.join(known)}")
    names = [_name(r, f"results {i + 1}") for i, r in enumerate(results_list)]
    if labels is None:
        labels = [
            f"{name} ({paths[i]})" if paths is not None and names.count(name) > 1 else name
            for i, name in enumerate(names)
        ]
    figure = _new_figure((960, 600))
    axes = figure.add_axes((0.09, 0.11, 0.88, 0.8))
    colours = colormaps["tab10"].colors
    several = len(results_list) > 1
    accuracy = metric in ("accuracy", "test_accuracy")
    points = 0
    for i, results in enumerate(results_list):
        colour = colours[i % len(colours)]
        for key in keys:
            epochs, mean, std, runs = mean_and_std_per_epoch(results, key)
            if not len(epochs):
                continue
            points = max(points, len(epochs))
            test = key.startswith("test_")
            kind = "test (deterministic)" if test else "train (sampled glimpses)"
            text = f"{labels[i]}: {kind}" if several else kind
            if runs > 1:
                text += f", mean \u00b1 std of {runs} runs"
                axes.fill_between(epochs, mean - std, mean + std, color=colour,
                                  alpha=0.2 if test else 0.1, linewidth=0)
            axes.plot(epochs, mean, "-" if test else ":", color=colour,
                      linewidth=2.0 if test else 1.6, label=text,
                      marker="o" if len(epochs) <= 20 else None, markersize=4)
        paper = (results.get("config") or {}).get("paper_test_error_percent")
        if accuracy and isinstance(paper, (int, float)) and not isinstance(paper, bool):
            target = 1.0 - paper / 100.0
            text = f"paper: {target:.2%} ({paper}% error)"
            axes.axhline(target, linestyle="--", linewidth=1.5,
                         color=colour if several else "black",
                         label=f"{labels[i]}: {text}" if several else text)
    if metric in ("reward", "test_reward"):
        # Each reference line once, also when several files share it.
        references = dict.fromkeys(line for results in results_list
                                   for line in _reward_references(results))
        for index, (value, text) in enumerate(references):
            axes.axhline(value, linestyle=("--", "-.", ":")[index % 3], linewidth=1.4,
                         color=("0.1", "0.35", "0.6")[index % 3], label=text)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch", fontsize=14)
    axes.set_ylabel(metric.replace("_", " "), fontsize=14)
    axes.tick_params(labelsize=12)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=11, loc="best")
    title = ", ".join(dict.fromkeys(names))
    axes.set_title(f"{title}: {metric.replace('_', ' ')} per epoch", fontsize=16)
    return figure


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _reward_references(results):
    """`(value, label)` lines a Catch results.json offers for its reward plot."""
    config = results.get("config") or {}
    reference = results.get("reference") if isinstance(results.get("reference"), dict) else {}
    lines = []
    if _number(config.get("target_reward")):
        lines.append((config["target_reward"], f"target: {config['target_reward']:.0%} caught"))
    if _number(config.get("seed_reported_reward")):
        lines.append((config["seed_reported_reward"],
                      f"seed port reports {config['seed_reported_reward']:.0%}"))
    if _number(reference.get("random_agent_test_reward")):
        lines.append((reference["random_agent_test_reward"],
                      f"random agent: {reference['random_agent_test_reward']:.1%}"))
    return lines


def default_metric(results_list):
    """`accuracy` for classifiers, `reward` for results that track no accuracy (Catch)."""
    tracked = {m for results in results_list for m in tracked_metrics(results)}
    return "reward" if "accuracy" not in tracked and "reward" in tracked else "accuracy"


def default_curves_path(results_path, metric="accuracy"):
    """`results/run_mnist/results.json` -> `results/run_mnist/<metric>.png`."""
    return os.path.join(os.path.dirname(os.path.abspath(results_path)), f"{metric}.png")


# -------------------------------------------------------------- TensorBoard
def _summary_metadata(plugin):
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = plugin
    return metadata


def write_scalar_summary(name, value, step):
    """A TensorBoard scalar (the `scalars` plugin's format) on the default writer."""
    return tf.summary.write(name, tf.constant(float(value), tf.float32), step=step,
                            metadata=_summary_metadata("scalars"))


def write_image_summary(name, pngs, step):
    """TensorBoard images (the `images` plugin's format: width, height, then
    the PNGs) on the default writer. All `pngs` must have the same size."""
    width, height = Image.open(io.BytesIO(pngs[0])).size
    tensor = tf.constant([str(width).encode(), str(height).encode()] + list(pngs))
    return tf.summary.write(name, tensor, step=step, metadata=_summary_metadata("images"))


class TensorBoardLogger(keras.callbacks.Callback):
    """Writes TensorBoard logs during `fit`.

    Every epoch: the scalars of the logs (loss, its terms, accuracy, reward)
    into `log_dir/train` and, for the `val_*` ones, into `log_dir/test` under
    the same names, so TensorBoard overlays train and test; and the learning
    rate. Every `image_every` epochs and at the last one: the glimpse figures
    (`draw_glimpse_figure`, deterministic policy) of `images` as the image
    `glimpses` and their `draw_overview` as `gaze_overview`, in `log_dir/test`.
    Steps are epoch numbers starting at 1.

    Args:
        log_dir: folder of this run's logs.
        images: `(N, H, W, C)` floats, a few test images, or None for no images.
        labels: their classes, or None.
        image_every: int >= 1.
    """

    def __init__(self, log_dir, images=None, labels=None, image_every=5):
        super().__init__()
        if isinstance(image_every, bool) or not isinstance(image_every, int) or image_every < 1:
            raise ValueError(
                f"TensorBoardLogger: `image_every` must be an int >= 1, got {image_every!r}."
            )
        self.log_dir = log_dir
        self.images = None if images is None else np.asarray(images, np.float32)
        self.labels = None if labels is None else np.asarray(labels)
        self.image_every = image_every
        self._writers = None

    def wants_images(self, epoch_number):
        """Whether glimpse images are written after epoch `epoch_number` (from 1)."""
        if self.images is None or not len(self.images):
            return False
        last = (self.params or {}).get("epochs")
        return epoch_number % self.image_every == 0 or epoch_number == last

    def _writer(self, name):
        if self._writers is None:
            self._writers = {}
        if name not in self._writers:
            self._writers[name] = tf.summary.create_file_writer(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_epoch_end(self, epoch, logs=None):
        step = epoch + 1
        for key, value in (logs or {}).items():
            name, split = (key[4:], "test") if key.startswith("val_") else (key, "train")
            with self._writer(split).as_default():
                write_scalar_summary(name, value, step)
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if learning_rate is not None:
            with self._writer("train").as_default():
                write_scalar_summary("learning_rate", ops.convert_to_numpy(learning_rate), step)
        if self.wants_images(step):
            trace = trace_glimpses(self.model, self.images, deterministic=True)
            pngs = [figure_to_png(draw_glimpse_figure(
                trace, i, None if self.labels is None else int(self.labels[i])))
                for i in range(len(self.images))]
            with self._writer("test").as_default():
                write_image_summary("glimpses", pngs, step)
                write_image_summary("gaze_overview",
                                    [figure_to_png(draw_overview(trace, self.labels,
                                                                 f"epoch {step}"))], step)
        for writer in (self._writers or {}).values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in (self._writers or {}).values():
            writer.close()
        self._writers = None
