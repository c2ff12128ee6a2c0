"""What each task adds to the runner: its data, its model, its final evaluation, its pictures.

A task is a subclass of `Task` (`ram_keras.tasks.base`, the interface the
runner and evaluate.py call, one docstring per method) registered in `TASKS`.
`task_for(config)` picks the one the config's `dataset` names, and
`load_config` reads a config module and checks it with that task (here, above
both `ram_keras.training.configs` and the tasks, which import that module).
"""

from ram_keras.tasks.base import Task, pictures_folder
from ram_keras.tasks.catch import CatchTask
from ram_keras.tasks.classification import ClassificationTask
from ram_keras.training.configs import ConfigError, read_config_module

TASKS = (ClassificationTask(), CatchTask())

__all__ = ["TASKS", "CatchTask", "ClassificationTask", "Task", "load_config", "pictures_folder",
           "task_for", "task_of_model"]


def task_for(config):
    """The task part for `config["dataset"]`; ConfigError for a dataset no task has."""
    dataset = config.get("dataset") if isinstance(config, dict) else None
    for task in TASKS:
        if dataset in task.datasets:
            return task
    known = tuple(d for task in TASKS for d in task.datasets)
    raise ConfigError(f"Config dataset must be one of {known}, got {dataset!r}.")


def task_of_model(model):
    """The task part whose model class `model` is."""
    for task in TASKS:
        if isinstance(model, task.model_class):
            return task
    raise TypeError(f"{type(model).__name__} is not a ram_keras task model.")


def load_config(name_or_path, configs_dir=None):
    """The checked CONFIG of a config module, by name or file path (see
    `ram_keras.training.configs.read_config_module`), checked by its task."""
    config = read_config_module(name_or_path, configs_dir)
    return task_for(config).validate(config)
