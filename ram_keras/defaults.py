"""The paper's network sizes and our training defaults, shared by the configs."""

# Mnih et al. (2014): glimpse network 128 + 128 -> 256, core of 256, 10 classes.
PAPER_MODEL = {
    "num_classes": 10,
    "what_units": 128,
    "where_units": 128,
    "glimpse_units": 256,
    "core_units": 256,
    "core_type": "relu",
    "identity_init": True,
    "location_std": 0.1,
    "scale": 2,
    "classification_weight": 1.0,
    "reinforce_weight": 1.0,
    "baseline_weight": 1.0,
    "location_policy": "learned",
    # The steps written out in the training graph: 16-50% faster steps than the symbolic
    # loop on this CPU (the loop compiles faster; see RecurrentAttention's `unroll`).
    "unroll": True,
}

# Adam with a cosine-decayed learning rate, batch 128; the final evaluation samples
# 10 glimpse paths per image (single-path and Monte-Carlo metrics). Up to 67 training steps
# per call of the compiled function: the runner takes the largest number up to it that
# divides an epoch's steps, 67 of the 469 of 60,000 digits, 23 of the 391 of 50,000. The
# same training with less Python around each step: 23 per call instead of 1 saved ~2 ms per
# centred step, 67 instead of 7 a further ~5% (docs/speed.md).
TRAINING = {
    "batch_size": 128,
    "learning_rate": 1e-3,
    "learning_rate_schedule": "cosine",
    "seed": 0,
    "runs": 1,
    "evaluation_paths": 10,
    "strategy": "default",
    "steps_per_execution": 67,
}

# slundqui/tfRAM's recipe, read from its code (configs/run_cluttered_mnist_tfram.py says what
# each setting does; docs/hard_tasks.md measures which matter): 10 sampled paths per image
# judged against a learned baseline, an LSTM core into which REINFORCE and the baseline's
# gradients flow, REINFORCE averaged over the glimpses (set `reinforce_weight` to
# 1 / num_glimpses), N(0, 0.01) dense weights, a random first glimpse, a clipped linear
# location mean, the policy's gradients clipped apart from the others' at norm 5.
TFRAM_MODEL = {
    "core_type": "lstm",
    "identity_init": False,
    "reinforce_to_core": True,
    "paths_per_input": 10,
    "baseline": "learned",
    "first_location": "random",
    "init_std": 0.01,
    "group_clip_norm": 5.0,
    "mean_activation": "clip",
    "location_std": 0.1,
}

# ... trained on 32 images (320 paths) per update with Adam at 1e-3, decayed x0.98 every
# half epoch to a floor of 1e-5, no clipping by the optimizer, validated with 10 paths on
# 5,000 held-out digits (tfRAM's split: 55,000 training, 5,000 validation).
TFRAM_TRAINING = {
    "batch_size": 32,
    "learning_rate": 1e-3,
    "learning_rate_schedule": "staircase",
    "staircase_decay_rate": 0.98,
    "staircase_epochs": 0.5,
    "final_learning_rate_fraction": 0.01,
    "gradient_clip_norm": None,
    "validation_paths": 10,
    "validation_digits": 5000,
}


# Our recipe for the hard tasks: tfRAM's, with the two changes that beat it on cluttered
# 60x60 at 45 minutes a recipe (docs/hard_tasks.md, the ablation): one sampled path for each
# of 320 images per update in place of 10 for each of 32 (the same 320 paths an update), and
# Keras's Glorot weights in place of N(0, 0.01). An epoch is 10 passes over the training
# digits (each placed afresh): 1,720 updates, as many as one of tfRAM's, so its staircase
# decays every 860 updates as tfRAM's does and validation runs as often.
HARD_TASK_MODEL = {**TFRAM_MODEL, "paths_per_input": 1, "init_std": None}
HARD_TASK_TRAINING = {**TFRAM_TRAINING, "batch_size": 320, "passes_per_epoch": 10}


def _with_recipe(config, model_settings, training_settings):
    model = config["model"]
    return {
        **config,
        **training_settings,
        "model": {**model, **model_settings, "reinforce_weight": 1 / model["num_glimpses"]},
    }


def with_tfram_recipe(config):
    """`config`'s task, glimpses and network sizes trained with tfRAM's recipe.

    Returns a new config: `TFRAM_TRAINING` (tfRAM's 5,000 validation digits among them)
    over `config`'s training settings, `TFRAM_MODEL` over its model's, and REINFORCE
    weighted 1 / `num_glimpses` (averaged over the glimpses, as tfRAM's loss takes it).
    """
    return _with_recipe(config, TFRAM_MODEL, TFRAM_TRAINING)


def with_hard_task_recipe(config):
    """`config`'s task, glimpses and network sizes trained with our recipe for the hard tasks.

    slundqui/tfRAM's recipe (`with_tfram_recipe`: an LSTM core of 256 into which REINFORCE
    and the baseline's gradients flow, a random first glimpse, staircase Adam, the policy's
    gradients clipped apart) with the two changes that beat it in our ablation
    (docs/hard_tasks.md), `HARD_TASK_MODEL` and `HARD_TASK_TRAINING`: one sampled glimpse
    path for each of 320 images per update, and Glorot weights. An epoch is 10 passes over
    the 55,000 training digits (1,720 updates), validated with all three metrics on 5,000
    held-out digits.
    """
    return _with_recipe(config, HARD_TASK_MODEL, HARD_TASK_TRAINING)
