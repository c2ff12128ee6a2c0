"""Movies of glimpse sequences and games: animated GIF (Pillow) or MP4 (OpenCV).

`save_movie(frames, path, durations_ms)` writes RGB frames in the format its
suffix names. A GIF keeps each frame's own duration and loops; an MP4
(`cv2.VideoWriter`, codec `mp4v`) has one frame rate, so a frame shown for
`d` milliseconds is repeated `round(d / 1000 * fps)` times (at least once).
MP4 files are far smaller than GIFs for long games and play in every browser
and video player; GIFs show inline in a README.
"""

import os

import numpy as np
from PIL import Image

MOVIE_FORMATS = ("gif", "mp4")
MP4_FRAMES_PER_SECOND = 20


def movie_path(folder, stem, movie_format):
    """`folder/stem.gif` or `folder/stem.mp4`; ValueError for another format."""
    if movie_format not in MOVIE_FORMATS:
        raise ValueError(f"movie format must be one of {MOVIE_FORMATS}, got {movie_format!r}")
    return os.path.join(folder, f"{stem}.{movie_format}")


def mp4_repeats(durations_ms, fps=MP4_FRAMES_PER_SECOND):
    """How many times each frame is written to show it for its duration at `fps`."""
    return [max(1, int(round(d / 1000.0 * fps))) for d in durations_ms]


def save_movie(frames, path, durations_ms, colours=256):
    """Writes `frames` (a list of `(H, W, 3)` uint8 arrays of one size) as a GIF or MP4.

    Args:
        frames: the pictures, in order.
        path: ends in `.gif` or `.mp4`.
        durations_ms: how long each frame is shown.
        colours: palette size of a GIF (at most 256).

    Returns:
        `path`.
    """
    if len(frames) != len(durations_ms) or not frames:
        raise ValueError(f"save_movie needs one duration per frame, got {len(frames)} frames "
                         f"and {len(durations_ms)} durations.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix == "gif":
        pictures = [Image.fromarray(frame).convert("P", palette=Image.Palette.ADAPTIVE,
                                                   colors=colours) for frame in frames]
        pictures[0].save(path, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=list(durations_ms), loop=0)
        return path
    if suffix != "mp4":
        raise ValueError(f"movies are .gif or .mp4 files, got {path!r}")
    import cv2

    height, width = frames[0].shape[:2]
    # Codecs want even sides: pad with white.
    padded = (height + height % 2, width + width % 2)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), MP4_FRAMES_PER_SECOND,
                             (padded[1], padded[0]))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write MP4 files here (no mp4v encoder): {path}")
    try:
        for frame, repeats in zip(frames, mp4_repeats(durations_ms)):
            canvas = np.full(padded + (3,), 255, np.uint8)
            canvas[:height, :width] = frame
            bgr = cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)
            for _ in range(repeats):
                writer.write(bgr)
    finally:
        writer.release()
    return path
