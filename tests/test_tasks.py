"""The task interface (`ram_keras.tasks.base.Task`) and the registry of tasks."""

import argparse
import inspect

import pytest

from ram_keras.models import RecurrentAttentionModel
from ram_keras.tasks import TASKS, Task, pictures_folder

# What the runner and evaluate.py call and a task must write itself.
ABSTRACT = {"validate", "load_data", "steps_per_epoch", "training_data", "validation_data",
            "build_model", "final_evaluation", "describe_training", "describe_final",
            "evaluate", "report_text"}


def test_the_interface_names_what_every_task_must_write_and_documents_each_method():
    assert Task.__abstractmethods__ == ABSTRACT
    methods = [name for name, member in vars(Task).items()
               if inspect.isfunction(member) and not name.startswith("_")]
    assert len(methods) == 21
    assert all(getattr(Task, name).__doc__ for name in methods)


def test_every_registered_task_implements_the_interface():
    names = [task.name for task in TASKS]
    assert names == ["classification", "catch"]
    for task in TASKS:
        assert isinstance(task, Task)
        type(task)()  # Python refuses a subclass that misses an abstract method


def partial_task(leave_out=None, **attributes):
    """A Task subclass with every abstract method but `leave_out`."""
    body = {name: (lambda self, *args: None) for name in ABSTRACT if name != leave_out}
    body.update({"name": "toy", "datasets": ("toy",), "model_class": RecurrentAttentionModel},
                **attributes)
    return type("ToyTask", (Task,), body)


def test_a_task_missing_a_method_or_its_names_cannot_be_made():
    partial_task()()
    with pytest.raises(TypeError, match="evaluate"):
        partial_task(leave_out="evaluate")()
    with pytest.raises(TypeError, match="datasets"):
        partial_task(datasets=())()


def test_pictures_go_to_out_or_to_the_config_results_folder():
    config = {"name": "run_toy"}
    assert pictures_folder(config, argparse.Namespace(out=None), "games") == "results/run_toy/games"
    assert pictures_folder(config, argparse.Namespace(out="here"), "games") == "here"


def test_the_minimal_task_of_docs_adding_a_task_works():
    """The guide's example is code that runs: its task checks its config, makes its data
    and model, and evaluates."""
    import os
    import re

    from helpers import REPO

    with open(os.path.join(REPO, "docs", "adding_a_task.md")) as f:
        task_code, config_code = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    namespace, config_namespace = {}, {}
    exec(task_code, namespace)
    exec(config_code, config_namespace)
    task = namespace["QuadrantTask"]()
    config = task.validate(dict(config_namespace["CONFIG"], train_images=128, test_images=50))
    data = task.load_data(config)
    images, labels = next(iter(task.training_data(config, data, seed=0, first_epoch=0)))
    assert images.shape == (64, 24, 24, 1) and set(labels.numpy()) <= {0, 1, 2, 3}
    assert task.steps_per_epoch(config, data) == 2
    final = task.final_evaluation(task.build_model(config, seed=0), config, data)
    assert 0 <= final["test_accuracy"] <= 1 and task.describe_final(final)
