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
