import numpy as np
import pytest
from PIL import Image

from ram_keras.viz import movies


def coloured_frames(count, height=30, width=41):
    """Frames of one colour each (an odd width: MP4 needs even sides, so it is padded)."""
    colours = [(255, 0, 0), (0, 200, 0), (0, 0, 255), (240, 240, 0)]
    return [np.full((height, width, 3), colours[i % 4], np.uint8) for i in range(count)]


def test_gif_keeps_every_frame_and_its_duration(tmp_path):
    path = movies.save_movie(coloured_frames(3), str(tmp_path / "a.gif"), [100, 200, 700])
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (41, 30) and gif.info["loop"] == 0
        durations = []
        for index in range(3):
            gif.seek(index)
            durations.append(gif.info["duration"])
            assert tuple(np.asarray(gif.convert("RGB"))[5, 5]) == \
                tuple(coloured_frames(3)[index][0, 0])
    assert durations == [100, 200, 700]


def test_mp4_shows_each_frame_for_its_duration(tmp_path):
    import cv2

    frames = coloured_frames(3)
    path = movies.save_movie(frames, str(tmp_path / "a.mp4"), [100, 200, 700])
    capture = cv2.VideoCapture(path)
    assert capture.get(cv2.CAP_PROP_FPS) == movies.MP4_FRAMES_PER_SECOND
    read = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        read.append(bgr[..., ::-1])
    capture.release()
    assert movies.mp4_repeats([100, 200, 700]) == [2, 4, 14]
    assert len(read) == 20 and read[0].shape == (30, 42, 3)  # padded to an even width
    shown = [0] * 2 + [1] * 4 + [2] * 14
    for frame, index in zip(read, shown):
        np.testing.assert_allclose(frame[10, 10], frames[index][0, 0], atol=40)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="one duration per frame"):
        movies.save_movie(coloured_frames(2), str(tmp_path / "a.gif"), [100])
    with pytest.raises(ValueError, match=".gif or .mp4"):
        movies.save_movie(coloured_frames(1), str(tmp_path / "a.avi"), [100])
    with pytest.raises(ValueError, match="movie format"):
        movies.movie_path(str(tmp_path), "a", "webm")
    assert movies.movie_path("out", "game000", "mp4") == "out/game000.mp4"
