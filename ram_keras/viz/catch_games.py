"""Pictures of a CatchAgent's games: movies (GIF or MP4) and gaze tracks.

- `draw_movie_frame` / `save_game_movie`: one frame per step, with the screen,
  the squares of the retina's scales where the agent looked, the glimpse
  centre and the paddle action; a last frame with the ball landed, caught or
  missed;
- `draw_gaze_track`: the numbered glimpse centres joined by a line over a
  recency-weighted average of the game's screens (recent screens brighter),
  the picture of the PyTorch seed; `draw_overview`: several side by side;
- `save_game_pictures` plays games greedily and writes all of them.

Every drawing takes `CatchAgent.play(..., keep_observations=True)`'s dict.
"""

import os

import numpy as np
from matplotlib.patches import Rectangle

from ram_keras import geometry
from ram_keras.envs.catch import ACTION_NAMES
from ram_keras.viz import movies
from ram_keras.viz.figures import (
    CENTRE_COLOUR,
    CORRECT_COLOUR,
    MISTAKE_COLOUR,
    TRACK_COLOUR,
    axes_at,
    figure_to_rgb,
    glimpse_colours,
    new_figure,
    save_figure,
    show_image,
)

SCREEN_SIDE = 384  # pixels of the screen in a movie frame or a gaze-track picture
TITLE_HEIGHT = 56
MARGIN = 12
# Weight of the screen t steps before the last one in the gaze-track picture.
RECENCY_DECAY = 0.8
CAUGHT_COLOUR = CORRECT_COLOUR
MISSED_COLOUR = MISTAKE_COLOUR


# ------------------------------------------------------------------ pictures
def _screen_axes(figure, left, top, size):
    """Axes for a screen of `size` pixels at (left, top) of the figure, y down."""
    return axes_at(figure, (left, top, SCREEN_SIDE, SCREEN_SIDE),
                   (figure.bbox.width, figure.bbox.height))


def _screens(play, index):
    """`(T, size, size)` screens seen, and the `(size, size)` screen after the landing."""
    return play["observations"][index][..., 0], play["final_observations"][index][..., 0]


def draw_movie_frame(play, index, step, patch_widths):
    """One frame of a game's movie.

    Args:
        play: `CatchAgent.play(..., keep_observations=True)`'s dict.
        index: which game.
        step: `0 .. T - 1` for the screen seen at that step, with the
            glimpse and the action chosen; `T` for the screen after the last
            step (the ball landed).
        patch_widths: the retina's patch widths in pixels.
    """
    screens, final_screen = _screens(play, index)
    steps, size = screens.shape[0], screens.shape[1]
    figure = new_figure((SCREEN_SIDE + 2 * MARGIN, SCREEN_SIDE + TITLE_HEIGHT + MARGIN))
    axes = _screen_axes(figure, MARGIN, TITLE_HEIGHT, size)
    caught = play["rewards"][index] > 0
    if step < steps:
        show_image(axes, screens[step])
        location = play["locations"][index, step]
        centre = np.asarray(geometry.glimpse_centres(location, (size, size)))
        corners = np.asarray(geometry.patch_corners(location, (size, size), patch_widths))
        colour = glimpse_colours(steps)[step]
        for k, width in enumerate(patch_widths):
            top, left = corners[k]
            axes.add_patch(Rectangle((left, top), width, width, fill=False, edgecolor=colour,
                                     linewidth=2.5 - 0.6 * k, alpha=1.0 - 0.2 * k))
        axes.plot([centre[1]], [centre[0]], "o", markersize=9, markerfacecolor=CENTRE_COLOUR,
                  markeredgecolor="white", clip_on=False)
        action = ACTION_NAMES[int(play["actions"][index, step])]
        title, title_colour = f"step {step + 1}/{steps}: paddle {action}", "black"
    else:
        show_image(axes, final_screen)
        title = "caught" if caught else "missed"
        title_colour = CAUGHT_COLOUR if caught else MISSED_COLOUR
    figure.text(0.5, 1.0 - 0.5 * TITLE_HEIGHT / figure.bbox.height, f"game {index}: {title}",
                ha="center", va="center", fontsize=17, color=title_colour, fontweight="bold")
    return figure


def save_game_movie(play, index, path, patch_widths, frame_ms=250, last_frame_ms=1500):
    """Writes game `index` as a looping movie (`.gif` or `.mp4`, as `path` says),
    one frame per step plus the landing."""
    steps = play["observations"].shape[1]
    frames = [figure_to_rgb(draw_movie_frame(play, index, t, patch_widths))
              for t in range(steps + 1)]
    return movies.save_movie(frames, path, [frame_ms] * steps + [last_frame_ms], colours=64)


def recency_weighted_average(screens, final_screen, decay=RECENCY_DECAY):
    """`sum_t decay^(T - t) s_t / sum_t decay^(T - t)` over the screens and the last one.

    The most recent screen weighs 1, the one before it `decay`, and so on,
    so the ball's path fades towards its start. Scaled to a maximum of 1.
    """
    all_screens = np.concatenate([screens, final_screen[None]], axis=0)
    count = len(all_screens)
    weights = decay ** np.arange(count - 1, -1, -1, dtype=np.float64)
    average = np.tensordot(weights, all_screens, axes=1) / weights.sum()
    return average / max(average.max(), 1e-12)


def _draw_gaze_track(axes, play, index):
    screens, final_screen = _screens(play, index)
    steps, size = screens.shape[0], screens.shape[1]
    show_image(axes, recency_weighted_average(screens, final_screen))
    centres = np.asarray(geometry.glimpse_centres(play["locations"][index], (size, size)))
    axes.plot(centres[:, 1], centres[:, 0], "-", color=TRACK_COLOUR, linewidth=1.5, zorder=3)
    colours = glimpse_colours(steps)
    for t in range(steps):
        axes.plot([centres[t, 1]], [centres[t, 0]], "o", markersize=7, zorder=4,
                  markerfacecolor=colours[t], markeredgecolor="white", clip_on=False)
    for t in (0, steps - 1):
        axes.annotate(str(t + 1), (centres[t, 1], centres[t, 0]), xytext=(5, 4),
                      textcoords="offset points", color="white", fontsize=12, zorder=5)


def draw_gaze_track(play, index):
    """The gaze track of game `index` over its recency-weighted average screen."""
    size = play["observations"].shape[2]
    figure = new_figure((SCREEN_SIDE + 2 * MARGIN, SCREEN_SIDE + TITLE_HEIGHT + MARGIN))
    _draw_gaze_track(_screen_axes(figure, MARGIN, TITLE_HEIGHT, size), play, index)
    caught = play["rewards"][index] > 0
    figure.text(0.5, 1.0 - 0.5 * TITLE_HEIGHT / figure.bbox.height,
                f"game {index}: {'caught' if caught else 'missed'}", ha="center", va="center",
                fontsize=17, fontweight="bold", color=CAUGHT_COLOUR if caught else MISSED_COLOUR)
    return figure


def draw_overview(play, count, title):
    """The gaze tracks of the first `count` games side by side."""
    size = play["observations"].shape[2]
    width = count * (SCREEN_SIDE + MARGIN) + MARGIN
    figure = new_figure((width, SCREEN_SIDE + 2 * TITLE_HEIGHT + MARGIN))
    figure.text(0.5, 1.0 - 0.5 * TITLE_HEIGHT / figure.bbox.height, title, ha="center",
                va="center", fontsize=17)
    for i in range(count):
        left = MARGIN + i * (SCREEN_SIDE + MARGIN)
        axes = _screen_axes(figure, left, 2 * TITLE_HEIGHT, size)
        _draw_gaze_track(axes, play, i)
        caught = play["rewards"][i] > 0
        axes.set_title(f"game {i}: {'caught' if caught else 'missed'}", fontsize=15,
                       color=CAUGHT_COLOUR if caught else MISSED_COLOUR)
    return figure


def save_game_pictures(agent, keys, folder, title, movie_format="gif"):
    """Plays the games with these keys greedily and writes their movies and tracks.

    Files: `game000.gif` (or `.mp4`, `movie_format`), `game000.png` (gaze
    track), ..., and `overview.png`.

    Returns:
        dict with `folder`, `movies`, `gaze_tracks` (paths) and `overview`.
    """
    # A few games: played eagerly, which is cheaper than tracing a graph that keeps screens.
    play = {key: np.asarray(value) for key, value in agent.rollout(
        np.asarray(keys, np.int64), deterministic=True, keep_observations=True).items()}
    widths = agent.glimpse_sensor.patch_widths
    written = {"folder": folder, "movies": [], "gaze_tracks": []}
    for i in range(len(keys)):
        written["movies"].append(save_game_movie(
            play, i, movies.movie_path(folder, f"game{i:03d}", movie_format), widths))
        written["gaze_tracks"].append(
            save_figure(draw_gaze_track(play, i), os.path.join(folder, f"game{i:03d}.png")))
    written["overview"] = save_figure(draw_overview(play, len(keys), title),
                                      os.path.join(folder, "overview.png"))
    return written
