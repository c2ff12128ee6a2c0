"""Adam with the learning-rate schedule, gradient clipping and weight averaging a config asks for."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ram_keras")
class StaircaseDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`lr * rate ** floor(step / steps)`, never below `floor`.

    The schedule of the best public RAM port on the hard tasks (x0.98 about
    every half epoch, down to 1e-5).

    Args:
        initial_learning_rate: float.
        decay_steps: int >= 1, updates between two decays.
        decay_rate: float in (0, 1].
        floor: float >= 0, the smallest learning rate.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, floor=0.0):
        if isinstance(decay_steps, bool) or not isinstance(decay_steps, int) or decay_steps < 1:
            raise ValueError(f"StaircaseDecay: decay_steps must be an int >= 1, got {decay_steps!r}.")
        if not 0 < decay_rate <= 1:
            raise ValueError(f"StaircaseDecay: decay_rate must be in (0, 1], got {decay_rate!r}.")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.floor = float(floor)

    def __call__(self, step):
        stairs = ops.floor(ops.cast(step, "float32") / self.decay_steps)
        rate = self.initial_learning_rate * ops.power(self.decay_rate, stairs)
        return ops.maximum(rate, self.floor)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "floor": self.floor}


def learning_rate_schedule(config, total_steps, steps_per_epoch):
    """The config's learning rate: a float or a `LearningRateSchedule`.

    - `cosine` (default): from `learning_rate` to `final_learning_rate_fraction`
      of it (default 0) over all `total_steps` updates;
    - `constant`: `learning_rate` throughout;
    - `staircase`: `StaircaseDecay` by `staircase_decay_rate` (0.98) every
      `staircase_epochs` epochs (0.5), never below `final_learning_rate_fraction`
      of `learning_rate`.
    """
    rate = float(config["learning_rate"])
    schedule = config.get("learning_rate_schedule", "cosine")
    fraction = float(config.get("final_learning_rate_fraction", 0.0))
    if schedule == "constant":
        return rate
    if schedule == "staircase":
        steps = max(1, round(config.get("staircase_epochs", 0.5) * steps_per_epoch))
        return StaircaseDecay(rate, steps, config.get("staircase_decay_rate", 0.98),
                              floor=rate * fraction)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=rate, decay_steps=max(1, total_steps), alpha=fraction)


def make_optimizer(config, total_steps, steps_per_epoch):
    """Adam with the config's schedule, clipped to `gradient_clip_norm` (global norm) if set,
    keeping a moving average of the weights with momentum `weight_averaging` if set
    (`ram_keras.training.averaging`)."""
    momentum = config.get("weight_averaging")
    return keras.optimizers.Adam(
        learning_rate=learning_rate_schedule(config, total_steps, steps_per_epoch),
        global_clipnorm=config.get("gradient_clip_norm"),
        use_ema=bool(momentum), ema_momentum=float(momentum) if momentum else 0.99)
