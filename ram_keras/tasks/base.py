"""`Task`: what a task gives the runner and evaluate.py, written once.

The runner (`ram_keras.training.runner`) trains every task the same way: it
asks the task for its config checks and flags, its data, its model, its final
evaluation, its pictures and its words, and does the rest itself (strategies,
checkpoints, `fit`, results.json). evaluate.py asks it to evaluate a trained
model. A task is a subclass of `Task` that implements the abstract methods
(Python refuses to make one that misses any) and sets `name`, `datasets` and
`model_class`; it is registered in `ram_keras.tasks.TASKS`.
docs/adding_a_task.md walks through writing one.

The arguments every method meets: `config`, the experiment's settings (the
config module's `CONFIG` after the flags, checked by `validate`); `args`, the
parsed command-line flags (`argparse.Namespace`); `data`, whatever
`load_data` returned; `seed`, the run's seed; `model`, a `model_class`.
"""

import abc
import os


def pictures_folder(config, args, kind):
    """Where evaluate.py puts pictures: `--out`, else results/<config>/<kind>/ here."""
    return args.out if args.out is not None else os.path.join("results", config["name"], kind)


class Task(abc.ABC):
    """The interface between a task (its data, model and evaluation) and the runner.

    Class attributes a subclass sets:
        name: str, the task's name in results.json (`"classification"`, `"catch"`).
        datasets: tuple of the config `dataset` values the task takes.
        model_class: the `RecurrentAttention` subclass it trains.
    """

    name = None
    datasets = ()
    model_class = None

    def __init__(self):
        missing = [attribute for attribute in ("name", "datasets", "model_class")
                   if not getattr(self, attribute)]
        if missing:
            raise TypeError(f"{type(self).__name__} must set the class attributes {missing}.")

    # ----------------------------------------------------------------- config
    @abc.abstractmethod
    def validate(self, config):
        """Returns `config` checked (the common settings and the task's own, and that
        `model_class(**config["model"])` can be made); raises `ConfigError` naming the
        first bad setting."""

    def add_flags(self, parser, config):
        """Adds the task's command-line flags to the `argparse` parser (defaults from
        `config`). The runner adds the common ones (`--epochs`, `--seed`, ...). Default:
        none."""

    def apply_flags(self, config, args):
        """Returns the config as the task's flags change it (a new dict). Default: unchanged."""
        return config

    def run_settings(self, args):
        """Flags that change a run without being config settings, as a dict recorded in
        results.json beside the config (a run resumes only under the same ones). Default:
        none."""
        return {}

    # ------------------------------------------------------------------- data
    @abc.abstractmethod
    def load_data(self, config, args=None):
        """Loads (or makes) everything the run needs once: returns `data`, any object the
        other methods understand (a namedtuple of arrays, say). Raise
        `ram_keras.data.DatasetNotFoundError` for data that is not there."""

    @abc.abstractmethod
    def steps_per_epoch(self, config, data):
        """Training steps (updates) in one epoch, an int >= 1."""

    @abc.abstractmethod
    def training_data(self, config, data, seed, first_epoch):
        """The training batches of epochs `first_epoch .. config["epochs"] - 1` as one
        `tf.data.Dataset` of `(inputs, targets)` (or `inputs` alone) batches of
        `config["batch_size"]`, `steps_per_epoch` batches per epoch. It must be a pure
        function of `(seed, epoch)`, so that a resumed run sees the batches it would have."""

    def sampled_paths_per_epoch(self, config, data):
        """Sampled episodes (glimpse paths) one epoch trains on, for the history's
        `paths_seen`, or None where the count means nothing. Default: None."""
        return None

    def epoch_callbacks(self, config, data):
        """Keras callbacks that add the task's own validation figures to each epoch's
        logs (`val_*`, recorded in the history). Default: none."""
        return []

    @abc.abstractmethod
    def validation_data(self, config, data):
        """The `tf.data.Dataset` that `fit` evaluates after every epoch (`val_*` in the
        history), or None for no validation pass."""

    # ------------------------------------------------------------------ model
    @abc.abstractmethod
    def build_model(self, config, seed):
        """A new, built `model_class` for a run with this seed (the runner compiles it)."""

    def metadata(self, config, seed):
        """The JSON-able dict saved in the model file beside its weights (evaluate.py
        reads it back). Default: the config's name, its dataset and the seed."""
        return {"config": config["name"], "dataset": config["dataset"], "seed": seed}

    def config_for_model(self, config, metadata, args):
        """The config evaluate.py evaluates a model file under, given the file's
        `metadata`. Default: the config module's, unchanged."""
        return config

    # ------------------------------------------------------------- reporting
    def reference(self, config, data):
        """Figures to compare a run with (a random agent's reward, say), a JSON-able dict
        written once into results.json (`reference`). Default: none."""
        return {}

    @abc.abstractmethod
    def final_evaluation(self, model, config, data):
        """Evaluates the trained model after the last epoch: a JSON-able dict of numbers
        (`final` in results.json; its mean and std over runs make the `summary`)."""

    def first_epoch_reaching_target(self, history, config):
        """The first epoch whose validation reached the config's target, as
        `ram_keras.training.history.first_epoch_reaching` returns it, or None (no
        target, or not reached). `history`: the run's per-epoch lists. Default: None."""
        return None

    @abc.abstractmethod
    def describe_training(self, config, data):
        """A few words on what one epoch trains on, for the line printed as a run starts
        (`"54,000 training images"`)."""

    @abc.abstractmethod
    def describe_final(self, final):
        """One line on `final_evaluation`'s dict, printed as a run ends."""

    def pictures(self, model, config, data):
        """Pictures of what the model does, for TensorBoard (`--tensorboard`): a dict
        `{name: [PNG bytes, ...]}`. Default: none."""
        return {}

    # ---------------------------------------------------------- evaluate.py
    @abc.abstractmethod
    def evaluate(self, model, config, args):
        """`evaluate.py` for this task: evaluates `model` (and draws pictures into
        `pictures_folder(config, args, kind)`), returns a JSON-able report dict."""

    @abc.abstractmethod
    def report_text(self, report):
        """The lines evaluate.py prints for `evaluate`'s report (the report also has
        `config` and `model`)."""
