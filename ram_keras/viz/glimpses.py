"""Pictures of what a RecurrentAttentionModel looked at.

- `trace_glimpses` runs the model on a few images and keeps, as numpy arrays,
  where it looked, the patches its retina returned there and its prediction
  after every glimpse (a `GlimpseTrace`);
- `draw_glimpse_figure`: one image with its gaze track above one column of
  patches per glimpse; `draw_animation_frame` / `save_animation`: a movie (GIF
  or MP4) with one frame per glimpse; `draw_overview`: a grid of images with
  their tracks, right and wrong answers marked; `save_glimpse_pictures` writes
  all three.

Classes are written as numbers, or by name where `class_names` is given.
RGB images and their patches are drawn in colour, grayscale ones in grey.
Boxes and centres come from `ram_keras.geometry`, the retina's own geometry,
and images are drawn with pixel `i` on `[i, i + 1)` (`figures.show_image`), so
the track and the boxes lie exactly where the retina read. Every figure has a
fixed size in pixels, described by the `*_layout` functions.
"""

import dataclasses
import math
import os

import numpy as np
from keras import ops
from matplotlib import patheffects
from matplotlib.patches import Rectangle

from ram_keras import geometry
from ram_keras.viz import movies
from ram_keras.viz.figures import (
    CENTRE_COLOUR,
    TRACK_COLOUR,
    axes_at,
    figure_to_rgb,
    glimpse_colours,
    new_figure,
    save_figure,
    show_image,
    verdict,
)

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
        return np.asarray(geometry.glimpse_centres(self.locations, self.image_shape))

    @property
    def corners(self):
        """`(N, T, K, 2)` top-left pixels of the patches."""
        return np.asarray(geometry.patch_corners(self.locations, self.image_shape,
                                                 self.patch_widths))

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
    outputs = model.rollout(images, deterministic=deterministic, keep_observations=True)
    return GlimpseTrace(
        images=images,
        locations=ops.convert_to_numpy(outputs["locations"]),
        patches=ops.convert_to_numpy(ops.cast(outputs["patches"], "float32")),
        probabilities=ops.convert_to_numpy(
            ops.softmax(ops.cast(outputs["logits"], "float32"), axis=-1)),
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
# Characters of a class name that fit under a patch column.
COLUMN_NAME_CHARS = 9


def class_text(index, class_names=None, limit=None):
    """Class `index` as written in a picture: its name (cut to `limit` characters) or number."""
    if class_names is None:
        return str(int(index))
    name = str(class_names[int(index)])
    return name if limit is None or len(name) <= limit else name[:limit - 1] + "\u2026"


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


def _show_patches(figure, size, boxes, patches, colour, widths, label_side):
    for k, box in enumerate(boxes):
        axes = axes_at(figure, box, size)
        show_image(axes, patches[k])
        for spine in axes.spines.values():
            spine.set_edgecolor(colour)
            spine.set_linewidth(2.0)
        if label_side:
            left, top, _, height = box
            figure.text((left - 6) / size[0], 1.0 - (top + height / 2) / size[1],
                        f"{widths[k]}\u00d7{widths[k]}", ha="right", va="center", fontsize=11)


def draw_glimpse_figure(trace, index, label=None, class_names=None):
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
        class_names: names of the classes, or None to write their numbers.

    Returns:
        A matplotlib `Figure` of `glimpse_figure_layout(...)["size"]` pixels.
    """
    layout = glimpse_figure_layout(trace.image_shape, trace.num_glimpses,
                                   len(trace.patch_widths))
    size = layout["size"]
    figure = new_figure(size)
    predictions, confidences = trace.predictions[index], trace.confidences[index]
    mark, colour = verdict(predictions[-1], label)
    head = f"label {class_text(label, class_names)} \u00b7 " if label is not None else ""
    figure.text(0.5, 1.0 - 10 / size[1],
                f"{head}predicted {class_text(predictions[-1], class_names)} "
                f"({confidences[-1]:.0%}){mark}",
                ha="center", va="top", fontsize=15, color=colour, fontweight="bold")
    axes = axes_at(figure, layout["track"], size)
    show_image(axes, trace.images[index])
    _draw_track(axes, trace.centres[index], trace.corners[index], trace.patch_widths)
    colours = glimpse_colours(trace.num_glimpses)
    for t in range(trace.num_glimpses):
        boxes = layout["patches"][t]
        _show_patches(figure, size, boxes, trace.patches[index, t], colours[t],
                      trace.patch_widths, label_side=(t == 0))
        left, top = boxes[0][0], boxes[0][1]
        _, text_colour = verdict(predictions[t], label)
        figure.text((left + PATCH_CELL / 2) / size[0], 1.0 - (top - 4) / size[1],
                    f"#{t + 1}: {class_text(predictions[t], class_names, COLUMN_NAME_CHARS)}\n"
                    f"{confidences[t]:.0%}", ha="center",
                    va="bottom", fontsize=11, color=text_colour, linespacing=1.1)
    return figure


def draw_animation_frame(trace, index, step, label=None, class_names=None):
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
    figure = new_figure(size)
    prediction = trace.predictions[index, step]
    mark, colour = verdict(prediction, label)
    head = f"label {class_text(label, class_names)}: " if label is not None else ""
    figure.text(0.5, 1.0 - 10 / size[1],
                f"glimpse {step + 1}/{trace.num_glimpses} \u00b7 {head}predicts "
                f"{class_text(prediction, class_names)} "
                f"({trace.confidences[index, step]:.0%}){mark}",
                ha="center", va="top", fontsize=14, color=colour, fontweight="bold")
    axes = axes_at(figure, layout["track"], size)
    show_image(axes, trace.images[index])
    _draw_track(axes, trace.centres[index], trace.corners[index], trace.patch_widths,
                upto=step, boxes="last")
    _show_patches(figure, size, layout["patches"], trace.patches[index, step],
                  glimpse_colours(trace.num_glimpses)[step], trace.patch_widths,
                  label_side=True)
    return figure


def draw_overview(trace, labels=None, title=None, class_names=None):
    """A grid of the trace's images, each with its gaze track (numbered
    centres joined by a line), titled `label -> prediction` and framed green
    when the final prediction is right, red when it is wrong.

    Returns:
        A matplotlib `Figure` of `overview_layout(...)["size"]` pixels.
    """
    count = len(trace.images)
    layout = overview_layout(trace.image_shape, count)
    size = layout["size"]
    figure = new_figure(size)
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
        axes = axes_at(figure, layout["tracks"][i], size)
        show_image(axes, trace.images[i])
        _draw_track(axes, trace.centres[i], trace.corners[i], trace.patch_widths,
                    boxes="none", marker_size=7.0, font_size=8.0)
        label = None if labels is None else int(labels[i])
        mark, colour = verdict(finals[i], label)
        final = class_text(finals[i], class_names, COLUMN_NAME_CHARS)
        text = (f"{class_text(label, class_names, COLUMN_NAME_CHARS)} \u2192 {final}{mark}"
                if label is not None else f"\u2192 {final}")
        axes.set_title(text, fontsize=12, color=colour, fontweight="bold", pad=4)
        for spine in axes.spines.values():
            spine.set_edgecolor(colour if label is not None else "black")
            spine.set_linewidth(3.0 if label is not None else 1.0)
    return figure


def save_animation(trace, index, path, label=None, frame_ms=800, last_frame_ms=2000,
                   class_names=None):
    """Writes a looping movie with exactly one frame per glimpse, each drawn by
    `draw_animation_frame`; `.gif` or `.mp4` as `path` says (`movies.save_movie`)."""
    frames = [figure_to_rgb(draw_animation_frame(trace, index, t, label, class_names))
              for t in range(trace.num_glimpses)]
    durations = [frame_ms] * (len(frames) - 1) + [last_frame_ms]
    return movies.save_movie(frames, path, durations)


def save_glimpse_pictures(trace, folder, labels=None, title=None, movie_format="gif",
                          class_names=None):
    """Writes every picture of a trace into `folder`.

    Files: `image000.png` ... (`draw_glimpse_figure`), `image000.gif` (or
    `.mp4`, `movie_format`) ... (`save_animation`) and `overview.png`
    (`draw_overview`).

    Returns:
        dict with `folder`, `overview`, `figures` and `animations` (paths).
    """
    os.makedirs(folder, exist_ok=True)
    written = {"folder": folder, "overview": None, "figures": [], "animations": []}
    for i in range(len(trace.images)):
        label = None if labels is None else int(labels[i])
        written["figures"].append(
            save_figure(draw_glimpse_figure(trace, i, label, class_names),
                        os.path.join(folder, f"image{i:03d}.png")))
        written["animations"].append(save_animation(
            trace, i, movies.movie_path(folder, f"image{i:03d}", movie_format), label,
            class_names=class_names))
    written["overview"] = save_figure(draw_overview(trace, labels, title, class_names),
                                      os.path.join(folder, "overview.png"))
    return written
