"""Pictures of Catch games: the recency-weighted screen, movie frames and gaze tracks."""

import numpy as np

from helpers import SMALL_AGENT
from ram_keras import CatchAgent
from ram_keras.envs.catch import game_keys
from ram_keras.viz import catch_games
from ram_keras.viz.figures import figure_to_rgb


def test_recency_weighted_average():
    screens = np.zeros((2, 3, 3), np.float32)
    screens[0, 0, 0] = screens[1, 1, 1] = 1.0
    final = np.zeros((3, 3), np.float32)
    final[2, 2] = 1.0
    got = catch_games.recency_weighted_average(screens, final, decay=0.5)
    # weights 0.25, 0.5, 1 (the last screen), then scaled to a maximum of 1
    want = np.zeros((3, 3))
    want[0, 0], want[1, 1], want[2, 2] = 0.25, 0.5, 1.0
    np.testing.assert_allclose(got, want)


def test_frames_and_tracks_show_the_screen_where_the_game_has_it():
    agent = CatchAgent(seed=4, **SMALL_AGENT)
    play = agent.play(game_keys(3, 0, 2), keep_observations=True)
    pixel = catch_games.SCREEN_SIDE / 24
    for step in (0, 10):
        frame = figure_to_rgb(catch_games.draw_movie_frame(play, 0, step,
                                                           agent.glimpse_sensor.patch_widths))
        screen = play["observations"][0, step, :, :, 0]
        rows, cols = np.nonzero(screen)
        for row, col in zip(rows, cols):  # ball and paddle, white
            y = int(catch_games.TITLE_HEIGHT + (row + 0.5) * pixel)
            x = int(catch_games.MARGIN + (col + 0.5) * pixel)
            assert frame[y, x].min() > 200
    track = figure_to_rgb(catch_games.draw_gaze_track(play, 1))
    overview = figure_to_rgb(catch_games.draw_overview(play, 2, "two games"))
    assert track.shape[0] == catch_games.SCREEN_SIDE + catch_games.TITLE_HEIGHT + \
        catch_games.MARGIN
    assert overview.shape[1] == 2 * (catch_games.SCREEN_SIDE + catch_games.MARGIN) + \
        catch_games.MARGIN
