"""What each task adds to the runner: its data, its model, its final evaluation, its pictures.

A task part is an object with the methods the runner calls
(`ram_keras.training.runner`): `validate`, `add_flags`, `apply_flags`,
`run_settings`, `load_data`, `steps_per_epoch`, `training_data`,
`validation_data`, `build_model`, `metadata`, `reference`, `final_evaluation`,
`first_epoch_reaching_target`, `describe_training`, `describe_final` and
`pictures`. `task_for(config)` picks the one the config's `dataset` names.
"""

from ram_keras.tasks.catch import CatchTask
from ram_keras.tasks.classification import ClassificationTask
from ram_keras.training.configs import ConfigError

TASKS = (ClassificationTask(), CatchTask())


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
