"""Glimpse pictures and movies of small hand-built models.

The models are untrained but their location policy is spread out (larger
weights), so the glimpses land in different places; every picture is checked
for its format, its size and that the gaze track is drawn where the model
looked (the centre-marker colour at each glimpse centre, and nowhere else).
"""

import os

import keras
import numpy as np
import pytest
from PIL import Image

from ram_keras import RecurrentAttentionModel
from ram_keras.viz import figures
from ram_keras.viz import glimpses as viz

SMALL = dict(what_units=8, where_units=8, glimpse_units=16, core_units=16, seed=0)


def small_model(image_shape, num_glimpses, glimpse_size, num_scales):
    # Seeded: where an untrained policy looks, and so what the pictures hold, is then the same
    # in every run and test order (an unseeded one put a red mark off its glimpse centre once).
    keras.utils.set_random_seed(0)
    model = RecurrentAttentionModel(image_shape=image_shape, num_glimpses=num_glimpses,
                                    glimpse_size=glimpse_size, num_scales=num_scales, **SMALL)
    kernel, _ = model.location_sampler.mean_dense.get_weights()
    model.location_sampler.mean_dense.set_weights(
        [kernel * 8.0, np.array([0.3, -0.4], np.float32)])
    return model


def digits_on_canvas(images_uint8, size):
    """MNIST-like digits pasted at different places of a size x size canvas."""
    canvas = np.zeros((len(images_uint8), size, size, 1), np.float32)
    for i, digit in enumerate(images_uint8):
        r, c = (7 * i + 3) % (size - 27), (13 * i + 5) % (size - 27)
        canvas[i, r:r + 28, c:c + 28, 0] = digit / 255.0
    return canvas


def fake_digits(count, seed=0):
    rng = np.random.default_rng(seed)
    digits = np.zeros((count, 28, 28), np.uint8)
    for digit in digits:
        digit[6:22, 10:18] = rng.integers(100, 256, (16, 8))
    return digits


# --------------------------------------------------------------- checkers
def read_picture(path, fmt, size):
    """RGB frames of a valid, non-blank picture of the expected format and size."""
    frames = []
    with Image.open(path) as image:
        assert image.format == fmt
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            assert image.size == tuple(size)
            frames.append(np.asarray(image.convert("RGB")).astype(int))
    for pixels in frames:
        assert pixels.std() > 20
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10
    return frames


def centre_mask(pixels):
    """Pixels of the centre-marker colour (not the darker red of mistakes)."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (r > 235) & (g < 70) & (b < 70)


def assert_track_drawn(pixels, box, zoom, centres):
    """Each glimpse centre (image pixels) has the marker colour at the PNG
    pixel it maps to, and every marker-coloured pixel of the panel lies
    within a marker's radius of one of the centres."""
    left, top, width, height = box
    points = np.array([(top + row * zoom, left + col * zoom) for row, col in centres])
    for y, x in points:
        assert centre_mask(pixels[int(y), int(x)]), (y, x, pixels[int(y), int(x)])
    ys, xs = np.nonzero(centre_mask(pixels))
    ys, xs = ys + 0.5, xs + 0.5  # pixel centres
    inside = (ys > top + 3) & (ys < top + height - 3) & (xs > left + 3) & (xs < left + width - 3)
    distance = np.sqrt((ys[inside, None] - points[None, :, 0]) ** 2
                       + (xs[inside, None] - points[None, :, 1]) ** 2).min(axis=1)
    assert distance.max() < 7.0
    # A marker away from the others is centred on its glimpse centre (to a pixel).
    for y, x in points:
        if np.sum(np.sqrt(((points - (y, x)) ** 2).sum(axis=1)) < 16) == 1:
            near = np.sqrt((ys - y) ** 2 + (xs - x) ** 2) < 8.0
            assert near.sum() > 10
            assert abs(ys[near].mean() - y) < 1.0 and abs(xs[near].mean() - x) < 1.0, (y, x)


def read_movie(path, size):
    """The distinct frames of a GIF, or of an MP4 (each shown for several video frames)."""
    if path.endswith(".gif"):
        return read_picture(path, "GIF", size)
    import cv2

    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = bgr[..., ::-1].astype(int)[:size[1], :size[0]]
        if not frames or np.abs(rgb - frames[-1]).mean() > 1.0:
            frames.append(rgb)
    capture.release()
    return frames


def check_pictures(written, trace, labels=None):
    """Every file of `save_glimpse_pictures` has its layout's size, is not
    blank, shows the track where the trace looked; one movie frame per glimpse."""
    count, steps = len(trace.images), trace.num_glimpses
    scales = len(trace.patch_widths)
    assert len(written["figures"]) == len(written["animations"]) == count
    figure_layout = viz.glimpse_figure_layout(trace.image_shape, steps, scales)
    frame_layout = viz.animation_frame_layout(trace.image_shape, scales)
    for i in range(count):
        (pixels,) = read_picture(written["figures"][i], "PNG", figure_layout["size"])
        assert_track_drawn(pixels, figure_layout["track"], figure_layout["zoom"],
                           trace.centres[i])
        frames = read_movie(written["animations"][i], frame_layout["size"])
        assert len(frames) == steps
        for t, frame in enumerate(frames):
            if written["animations"][i].endswith(".gif"):
                assert_track_drawn(frame, frame_layout["track"], frame_layout["zoom"],
                                   trace.centres[i, : t + 1])
            else:  # lossy: the marker is there, its colour only roughly
                y, x = (np.asarray(frame_layout["track"][1::-1])
                        + trace.centres[i, t] * frame_layout["zoom"]).astype(int)
                assert frame[y, x, 0] > 200 and frame[y, x, 1] < 110
    overview = viz.overview_layout(trace.image_shape, count)
    (pixels,) = read_picture(written["overview"], "PNG", overview["size"])
    for i in range(count):
        assert_track_drawn(pixels, overview["tracks"][i], overview["zoom"], trace.centres[i])
    if labels is not None:
        # Each overview image is framed green when right, red when wrong.
        for i in range(count):
            left, top, width, _ = overview["tracks"][i]
            frame_pixel = pixels[top + 1, left + width // 2]
            right = trace.predictions[i, -1] == labels[i]
            red, green = int(frame_pixel[0]), int(frame_pixel[1])
            if right:  # CORRECT_COLOUR, a green
                assert green > red + 60, (frame_pixel, figures.CORRECT_COLOUR)
            else:  # MISTAKE_COLOUR, a red
                assert red > green + 80, (frame_pixel, figures.MISTAKE_COLOUR)


# ------------------------------------------------------------------- traces
def test_trace_holds_the_rollout_and_the_sensor_patches():
    model = small_model((28, 28, 1), 3, 6, 2)
    images = digits_on_canvas(fake_digits(2), 28)
    trace = viz.trace_glimpses(model, images)
    outputs = model.rollout(images, deterministic=True)
    np.testing.assert_allclose(trace.locations, outputs["locations"].numpy(), atol=1e-6)
    assert trace.patches.shape == (2, 3, 2, 6, 6, 1)
    # The patches are what the retina reads at the rollout's locations.
    np.testing.assert_allclose(
        trace.patches[:, 1], model.glimpse_sensor([images, outputs["locations"][:, 1]]).numpy(),
        atol=1e-6)
    # The boxes drawn for them are the retina's own geometry.
    corners = trace.corners
    for n in range(2):
        for k, width in enumerate(trace.patch_widths):
            top, left = corners[n, 1, k].astype(int) + 28
            crop = np.pad(images[n, ..., 0], 28)[top:top + width, left:left + width]
            factor = width // 6
            np.testing.assert_allclose(
                trace.patches[n, 1, k, ..., 0],
                crop.reshape(6, factor, 6, factor).mean(axis=(1, 3)), atol=1e-5)
    np.testing.assert_allclose(trace.probabilities.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(trace.predictions,
                                  np.argmax(outputs["logits"].numpy(), axis=-1))
    assert np.ptp(trace.centres[0], axis=0).max() > 3  # the glimpses do move
    sampled = viz.trace_glimpses(model, images, deterministic=False)
    assert not sampled.deterministic and not np.allclose(sampled.locations, trace.locations)
    with pytest.raises(ValueError, match="shape"):
        viz.trace_glimpses(model, np.zeros((1, 30, 30, 1), np.float32))


def test_rgb_images_and_patches_are_drawn_in_colour_with_class_names():
    """An RGB image of four coloured quadrants: the track panel shows each quadrant's colour
    where it lies, the patch cells show colour too, and the texts name the classes."""
    model = small_model((16, 16, 3), 2, 4, 2)
    # Both glimpses at the centre, whatever the random weights: the retina's boxes then stay
    # clear of the corner pixels checked below.
    kernel, bias = model.location_sampler.mean_dense.get_weights()
    model.location_sampler.mean_dense.set_weights([np.zeros_like(kernel), np.zeros_like(bias)])
    image = np.zeros((1, 16, 16, 3), np.float32)
    quadrants = {(0, 0): (1, 0, 0), (0, 1): (0, 1, 0), (1, 0): (0, 0, 1), (1, 1): (1, 1, 0)}
    for (qr, qc), colour in quadrants.items():
        image[0, qr * 8:qr * 8 + 8, qc * 8:qc * 8 + 8] = colour
    trace = viz.trace_glimpses(model, image)
    assert trace.patches.shape == (1, 2, 2, 4, 4, 3)
    names = ["apple", "a very long class name", "cherry"] + [f"c{i}" for i in range(7)]
    figure = viz.draw_glimpse_figure(trace, 0, label=1, class_names=names)
    pixels = figures.figure_to_rgb(figure).astype(int)
    layout = viz.glimpse_figure_layout((16, 16, 3), 2, 2)
    left, top, width, _ = layout["track"]
    zoom = layout["zoom"]
    for (qr, qc), colour in quadrants.items():
        # A pixel near a quadrant's outer corner, away from the track and the boxes.
        y, x = top + int((1 + qr * 14) * zoom), left + int((1 + qc * 14) * zoom)
        np.testing.assert_array_equal(pixels[y, x], np.array(colour) * 255)
    # Every patch is coloured: no patch cell is grey (equal channels) throughout.
    for boxes in layout["patches"]:
        for cell_left, cell_top, side, _ in boxes:
            cell = pixels[cell_top + 3:cell_top + side - 3, cell_left + 3:cell_left + side - 3]
            assert np.ptp(cell, axis=-1).max() > 200
    texts = " ".join(text.get_text() for text in figure.texts)
    predicted = names[trace.predictions[0, -1]]
    assert "label a very long class name" in texts and f"predicted {predicted}" in texts
    # Under a patch column and over an overview image a long name is cut short.
    overview = viz.draw_overview(trace, [1], class_names=names)
    assert overview.axes[0].title.get_text().startswith("a very l\u2026 \u2192 ")


@pytest.mark.parametrize("size,glimpse,scales,steps,count,movie", [
    (60, 12, 3, 3, 2, "gif"), (100, 12, 4, 2, 1, "mp4"), (28, 6, 2, 3, 1, "mp4")])
def test_multi_scale_pictures_of_large_images(tmp_path, size, glimpse, scales, steps, count,
                                              movie):
    model = small_model((size, size, 1), steps, glimpse, scales)
    images = digits_on_canvas(fake_digits(count), size)
    labels = np.array([3, 5])[:count]
    trace = viz.trace_glimpses(model, images)
    written = viz.save_glimpse_pictures(trace, str(tmp_path / "pictures"), labels=labels,
                                        movie_format=movie)
    check_pictures(written, trace, labels)
    names = [f"image{i:03d}.{ext}" for i in range(count) for ext in (movie, "png")]
    assert sorted(os.listdir(tmp_path / "pictures")) == sorted(names + ["overview.png"])


