"""Evaluating a trained CatchAgent: fraction of balls caught, movies and gaze tracks.

    python evaluate.py run_catch models/run_catch/run0.weights.h5 [--episodes N] [--json]
        [--movies K] [--out DIR] [--seed S]

The greedy agent (most probable action, mean glimpse location) plays games
`0 .. N - 1` of the config's test stream (`test_seed`, never a training
stream; `--seed` picks another) and the fraction caught is printed, beside
what uniformly random actions catch on the same games. Then the first K games
(default 4) are drawn into `results/<config>/games/` (or DIR):

- `game000.gif`: one frame per step: the screen, the squares of the three
  retina scales where the agent looked, the glimpse centre, and the paddle
  action it chose; a last frame with the ball landed, caught or missed;
- `game000.png`: the gaze track (numbered glimpse centres joined by a line)
  over a recency-weighted average of the game's screens (recent screens
  brighter), the picture of the PyTorch seed;
- `overview.png`: the K gaze-track pictures side by side.
"""

import argparse
import json
import os
import sys

import numpy as np
import tensorflow as tf
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from ram_keras import cli
from ram_keras.catch import ACTION_NAMES, CatchGame, game_keys, play_random_agent
from ram_keras.visualization import (
    CENTRE_COLOUR,
    TRACK_COLOUR,
    figure_to_rgb,
    glimpse_centres,
    glimpse_colours,
    patch_corners,
    save_figure,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DPI = 64
SCREEN_SIDE = 384  # pixels of the screen in a movie frame or a gaze-track picture
TITLE_HEIGHT = 56
MARGIN = 12
# Weight of the screen t steps before the last one in the gaze-track picture.
RECENCY_DECAY = 0.8
CAUGHT_COLOUR = "#1a8f3a"
MISSED_COLOUR = "#d62728"


# ------------------------------------------------------------------ pictures
def _new_figure(width, height):
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _screen_axes(figure, left, top, size):
    """Axes for a screen of `size` pixels at (left, top) of the figure, y down."""
    width, height = figure.bbox.width, figure.bbox.height
    axes = figure.add_axes((left / width, 1.0 - (top + SCREEN_SIDE) / height,
                            SCREEN_SIDE / width, SCREEN_SIDE / height))
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlim(0, size)
    axes.set_ylim(size, 0)
    return axes


def _show_screen(axes, screen):
    size = screen.shape[0]
    axes.imshow(screen, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest",
                extent=(0, size, size, 0))
    axes.set_xlim(0, size)
    axes.set_ylim(size, 0)


def draw_movie_frame(play, index, step, patch_widths):
    """One frame of a game's movie.

    Args:
        play: `CatchAgent.play(..., keep_screens=True)`'s dict.
        index: which game.
        step: `0 .. T - 1` for the screen seen at that step, with the
            glimpse and the action chosen; `T` for the screen after the last
            step (the ball landed).
        patch_widths: the retina's patch widths in pixels.
    """
    screens = play["screens"][index]
    steps, size = screens.shape[0], screens.shape[1]
    figure = _new_figure(SCREEN_SIDE + 2 * MARGIN, SCREEN_SIDE + TITLE_HEIGHT + MARGIN)
    axes = _screen_axes(figure, MARGIN, TITLE_HEIGHT, size)
    caught = play["rewards"][index] > 0
    if step < steps:
        _show_screen(axes, screens[step])
        location = play["locations"][index, step]
        centre = glimpse_centres(location, (size, size))
        corners = patch_corners(location, (size, size), patch_widths)
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
        _show_screen(axes, play["final_screens"][index])
        title = "caught" if caught else "missed"
        title_colour = CAUGHT_COLOUR if caught else MISSED_COLOUR
    figure.text(0.5, 1.0 - 0.5 * TITLE_HEIGHT / figure.bbox.height, f"game {index}: {title}",
                ha="center", va="center", fontsize=17, color=title_colour, fontweight="bold")
    return figure


def save_movie(play, index, path, patch_widths, frame_ms=250, last_frame_ms=1500):
    """Writes game `index` as a looping GIF, one frame per step plus the landing."""
    steps = play["screens"].shape[1]
    frames = [
        Image.fromarray(figure_to_rgb(draw_movie_frame(play, index, t, patch_widths)))
        .convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
        for t in range(steps + 1)
    ]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:],
                   duration=[frame_ms] * steps + [last_frame_ms], loop=0)
    return path


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
    screens = play["screens"][index]
    steps, size = screens.shape[0], screens.shape[1]
    _show_screen(axes, recency_weighted_average(screens, play["final_screens"][index]))
    centres = glimpse_centres(play["locations"][index], (size, size))
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
    size = play["screens"].shape[2]
    figure = _new_figure(SCREEN_SIDE + 2 * MARGIN, SCREEN_SIDE + TITLE_HEIGHT + MARGIN)
    _draw_gaze_track(_screen_axes(figure, MARGIN, TITLE_HEIGHT, size), play, index)
    caught = play["rewards"][index] > 0
    figure.text(0.5, 1.0 - 0.5 * TITLE_HEIGHT / figure.bbox.height,
                f"game {index}: {'caught' if caught else 'missed'}", ha="center", va="center",
                fontsize=17, fontweight="bold", color=CAUGHT_COLOUR if caught else MISSED_COLOUR)
    return figure


def draw_overview(play, count, title):
    """The gaze tracks of the first `count` games side by side."""
    size = play["screens"].shape[2]
    width = count * (SCREEN_SIDE + MARGIN) + MARGIN
    figure = _new_figure(width, SCREEN_SIDE + 2 * TITLE_HEIGHT + MARGIN)
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


def save_game_pictures(agent, keys, folder, title):
    """Plays the games with these keys greedily and writes their movies and tracks.

    Returns:
        dict with `folder`, `movies`, `gaze_tracks` (paths) and `overview`.
    """
    # A few games: run eagerly, cheaper than tracing a second graph with screens.
    play = {k: np.asarray(v) for k, v in agent.rollout(
        tf.constant(keys, tf.int64), deterministic=True, keep_screens=True).items()}
    widths = agent.glimpse_sensor.patch_widths
    written = {"folder": folder, "movies": [], "gaze_tracks": []}
    for i in range(len(keys)):
        written["movies"].append(
            save_movie(play, i, os.path.join(folder, f"game{i:03d}.gif"), widths))
        written["gaze_tracks"].append(
            save_figure(draw_gaze_track(play, i), os.path.join(folder, f"game{i:03d}.png")))
    written["overview"] = save_figure(draw_overview(play, len(keys), title),
                                      os.path.join(folder, "overview.png"))
    return written


# ------------------------------------------------------------------ command
def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python evaluate.py",
                                     description="Evaluate a trained CatchAgent.")
    parser.add_argument("config", help="a Catch config name (run_catch) or module path")
    parser.add_argument("model", help="model file written by training (*.weights.h5)")
    parser.add_argument("--episodes", type=cli.positive_int, default=1000,
                        help="fresh games to play (default %(default)s)")
    parser.add_argument("--seed", type=cli.non_negative_int, default=None,
                        help="stream of the games (default: the config's test_seed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--movies", type=cli.non_negative_int, default=4,
                        help="games to draw as movies and gaze tracks (default %(default)s; "
                             "0 draws none)")
    parser.add_argument("--out", default=None,
                        help="folder of the pictures (default: results/<config>/games/)")
    return parser.parse_args(argv)


def main(argv=None):
    """`evaluate.py` for Catch configs; returns the report dict."""
    from ram_keras.catch_agent import load_catch_agent
    from ram_keras.experiment import ConfigError, check_model_fits_config, load_config
    from ram_keras.saving import ModelFileError, read_model_file_info

    args = parse_args(argv)
    try:
        config = load_config(args.config)
        if config["dataset"] != "catch":
            raise ConfigError(f"{config['name']} is not a Catch config (its task is "
                              f"{config['dataset']}).")
        model_config, metadata = read_model_file_info(args.model)
        check_model_fits_config(model_config, metadata, config, args.model)
        agent = load_catch_agent(args.model)
    except (ConfigError, ModelFileError) as error:
        sys.exit(f"error: {error}")
    seed = config["test_seed"] if args.seed is None else args.seed
    keys = game_keys(seed, 0, args.episodes).numpy()
    rewards = agent.play(keys, deterministic=True)["rewards"]
    random_reward = play_random_agent(CatchGame(agent.screen_size), keys, seed=seed)
    report = {
        "config": config["name"],
        "model": args.model,
        "episodes": args.episodes,
        "game_seed": seed,
        "caught": int(rewards.sum()),
        "fraction_caught": float(rewards.mean()),
        "random_agent_fraction_caught": random_reward,
    }
    count = min(args.movies, args.episodes)
    if count:
        folder = args.out or os.path.join(REPO_ROOT, "results", config["name"], "games")
        try:
            report["pictures"] = save_game_pictures(
                agent, keys[:count], folder,
                f"{config['name']}: greedy agent, gaze tracks over recency-weighted screens")
        except OSError as error:
            sys.exit(f"error: cannot write the pictures to {folder}: {error.strerror or error}")
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{config['name']}: {report['caught']} of {args.episodes} balls caught "
              f"({report['fraction_caught']:.4f}) by the greedy agent on games of stream {seed}; "
              f"random actions catch {random_reward:.4f}")
        if count:
            print(f"  movies and gaze tracks of {count} games: {report['pictures']['folder']} "
                  "(game000.gif, game000.png, ..., overview.png)")
    return report
