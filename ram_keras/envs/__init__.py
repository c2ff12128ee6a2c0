"""Environments the agent plays: Catch."""

from ram_keras.envs.catch import CatchGame, game_keys, play_random_agent

__all__ = [
    "CatchGame",
    "game_keys",
    "play_random_agent",
]
