"""Catch (`dataset: "catch"`): the runner's task part, and evaluate.py for Catch configs.

Games are identified by keys `(seed, game_id)` (see `ram_keras.envs.catch`):
training run `seed` plays games `0, 1, 2, ...` of stream `seed`, a new batch of
`batch_size` games for every update, so no game is replayed. After every
epoch the greedy agent (most probable action, mean location) plays the
`validation_episodes` games of stream `validation_seed` (`val_reward` in the
history); at the end it plays the `test_episodes` games of stream `test_seed`,
which no training run uses.
"""

import collections

import numpy as np
import tensorflow as tf

from ram_keras.envs.catch import CatchGame, game_keys, play_random_agent
from ram_keras.models import CatchAgent
from ram_keras.tasks.base import Task, pictures_folder
from ram_keras.training import cli
from ram_keras.training.configs import (
    ConfigError,
    build_from_config,
    check_common_settings,
    check_settings,
)
from ram_keras.training.history import first_epoch_reaching

SETTINGS = {
    "steps_per_epoch": int,
    "test_seed": int,
    "test_episodes": int,
    "validation_seed": int,
    "validation_episodes": int,
}
# The full-screen reference: one glimpse of the whole screen at the centre, no location
# policy (its glimpse_size is the screen's).
FULL_SCREEN_MODEL = {"glimpse_size": 24, "num_scales": 1, "location_policy": "centre"}
MAX_KEY = 2**32
# Pictures: this many validation games (TensorBoard), test games (evaluate.py).
PICTURE_GAMES = 4
EVALUATE_EPISODES = 1000

CatchData = collections.namedtuple("CatchData", ["validation_keys", "test_keys"])
CatchData.__doc__ = "Keys `(N, 2)` int64 of the validation and of the test games."


def evaluate_agent(agent, keys, batch_size=1000):
    """Fraction of the games with these keys the greedy agent catches."""
    return float(np.mean(agent.play(keys, deterministic=True, batch_size=batch_size)["rewards"]))


class CatchTask(Task):
    """The runner's task part for `dataset: "catch"` (see `ram_keras.training.runner`)."""

    name = "catch"
    datasets = ("catch",)
    model_class = CatchAgent

    # ----------------------------------------------------------------- config
    def validate(self, config):
        """The config, checked; raises ConfigError naming the first bad setting."""
        check_common_settings(config)
        check_settings(config, SETTINGS)
        if config["dataset"] != "catch":
            raise ConfigError(f"Config dataset must be 'catch', got {config['dataset']!r}.")
        for key in ("steps_per_epoch", "test_episodes", "validation_episodes"):
            if config[key] < 1:
                raise ConfigError(f"Config setting {key!r} must be >= 1, got {config[key]}.")
        training = set(range(config["seed"], config["seed"] + config["runs"]))
        for key in ("seed", "test_seed", "validation_seed"):
            if not 0 <= config[key] < MAX_KEY - config["runs"]:
                raise ConfigError(f"Config setting {key!r} must be in [0, 2**32), got "
                                  f"{config[key]}.")
        for key in ("test_seed", "validation_seed"):
            if config[key] in training:
                raise ConfigError(f"Config {key} {config[key]} is also a training stream (seed "
                                  f"{config['seed']}, {config['runs']} runs): the games would "
                                  "be the same.")
        if config["test_seed"] == config["validation_seed"]:
            raise ConfigError("Config test_seed and validation_seed must differ.")
        target = config.get("target_reward")
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float))
                                   or not 0 < target <= 1):
            raise ConfigError(f"Config setting 'target_reward' must be in (0, 1], got {target!r}.")
        build_from_config(CatchAgent, config["model"])
        return config

    def add_flags(self, parser, config):
        parser.add_argument("--steps-per-epoch", type=cli.positive_int,
                            default=config["steps_per_epoch"],
                            help="updates per epoch, each on a new batch of games "
                                 "(default %(default)s)")
        parser.add_argument("--test-episodes", type=cli.positive_int,
                            default=config["test_episodes"],
                            help="fresh games the final agent is tested on (default %(default)s)")
        parser.add_argument("--validation-episodes", type=cli.positive_int,
                            default=config["validation_episodes"],
                            help="games the greedy agent plays after every epoch "
                                 "(default %(default)s)")
        parser.add_argument("--full-screen", action="store_true",
                            help="reference agent: one glimpse of the whole screen, no "
                                 "location policy (results under <name>_full_screen)")

    def apply_flags(self, config, args):
        """The config as the flags change it; `--full-screen` also renames it."""
        config = dict(config, steps_per_epoch=args.steps_per_epoch,
                      test_episodes=args.test_episodes,
                      validation_episodes=args.validation_episodes)
        if args.full_screen:
            size = config["model"].get("screen_size", 24)
            config["name"] = f"{config['name']}_full_screen"
            config["model"] = dict(config["model"], **dict(FULL_SCREEN_MODEL, glimpse_size=size))
        return config

    def run_settings(self, args):
        return {}

    # ------------------------------------------------------------------- data
    def load_data(self, config, args=None):
        return CatchData(
            game_keys(config["validation_seed"], 0, config["validation_episodes"]).numpy(),
            game_keys(config["test_seed"], 0, config["test_episodes"]).numpy())

    def steps_per_epoch(self, config, data):
        return config["steps_per_epoch"]

    def training_data(self, config, data, seed, first_epoch):
        """Keys of the training games, one batch `(batch_size, 2)` per update."""
        batch_size, steps = config["batch_size"], config["steps_per_epoch"]
        first_game = first_epoch * steps * batch_size
        last_game = config["epochs"] * steps * batch_size
        ids = tf.data.Dataset.range(first_game, last_game).batch(batch_size)
        return ids.map(lambda game_ids: tf.stack(
            [tf.fill(tf.shape(game_ids), np.int64(seed)), game_ids], axis=1))

    def validation_data(self, config, data):
        return tf.data.Dataset.from_tensor_slices(data.validation_keys).batch(1000)

    # ------------------------------------------------------------------ model
    def build_model(self, config, seed):
        return CatchAgent(**dict(config["model"], seed=seed))

    def metadata(self, config, seed):
        return {"config": config["name"], "dataset": config["dataset"], "seed": seed}

    # ------------------------------------------------------------- reporting
    def reference(self, config, data):
        """What uniformly random actions catch on the test games."""
        game = CatchGame(config["model"].get("screen_size", 24))
        return {"random_agent_test_reward": play_random_agent(game, data.test_keys,
                                                              seed=config["test_seed"])}

    def final_evaluation(self, model, config, data):
        return {
            "validation_reward": evaluate_agent(model, data.validation_keys),
            "test_reward": evaluate_agent(model, data.test_keys),
            "test_episodes": len(data.test_keys),
            "training_episodes": config["epochs"] * config["steps_per_epoch"]
            * config["batch_size"],
        }

    def first_epoch_reaching_target(self, history, config):
        """The first epoch whose validation reward reaches `target_reward`."""
        target = config.get("target_reward")
        return None if target is None else first_epoch_reaching(history, "val_reward", target)

    def describe_training(self, config, data):
        return f"{config['batch_size']} games per update"

    def describe_final(self, final):
        return (f"caught {final['validation_reward']:.4f} of the validation games and "
                f"{final['test_reward']:.4f} of {final['test_episodes']} test games (greedy)")

    def pictures(self, model, config, data):
        """PNGs of the gaze tracks of a few validation games (for TensorBoard)."""
        from ram_keras.viz import catch_games
        from ram_keras.viz.figures import figure_to_png

        play = model.play(data.validation_keys[:PICTURE_GAMES], keep_observations=True)
        return {"gaze_tracks": [figure_to_png(catch_games.draw_gaze_track(play, i))
                                for i in range(len(play["rewards"]))]}

    # ---------------------------------------------------------- evaluate.py
    def evaluate(self, agent, config, args):
        """`evaluate.py` for Catch: the fraction caught beside random actions, and movies."""
        from ram_keras.viz import catch_games

        seed = config["test_seed"] if args.seed is None else args.seed
        episodes = EVALUATE_EPISODES if args.episodes is None else args.episodes
        keys = game_keys(seed, 0, episodes).numpy()
        rewards = agent.play(keys, deterministic=True)["rewards"]
        report = {
            "episodes": episodes, "game_seed": seed, "caught": int(rewards.sum()),
            "fraction_caught": float(rewards.mean()),
            "random_agent_fraction_caught": play_random_agent(CatchGame(agent.screen_size), keys,
                                                              seed=seed),
        }
        count = min(PICTURE_GAMES if args.samples is None else args.samples, episodes)
        if count:
            report["pictures"] = catch_games.save_game_pictures(
                agent, keys[:count], pictures_folder(config, args, "games"),
                f"{config['name']}: greedy agent, gaze tracks over recency-weighted screens",
                movie_format=args.movie)
        return report

    def report_text(self, report):
        lines = [f"{report['config']}: {report['caught']} of {report['episodes']} balls caught "
                 f"({report['fraction_caught']:.4f}) by the greedy agent on games of stream "
                 f"{report['game_seed']}; random actions catch "
                 f"{report['random_agent_fraction_caught']:.4f}"]
        if "pictures" in report:
            lines.append(f"  movies and gaze tracks of {len(report['pictures']['movies'])} games: "
                         f"{report['pictures']['folder']} (game000 movie, game000.png, ..., "
                         "overview.png)")
        return "\n".join(lines)
