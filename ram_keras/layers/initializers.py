"""How the dense layers outside the core start: Keras's default, or small weights."""

import math

import keras


def check_init_std(owner, init_std):
    """Returns `init_std` as a float (or None); raises ValueError unless it is None or > 0."""
    if init_std is None:
        return None
    if isinstance(init_std, bool) or not isinstance(init_std, (int, float)) \
            or not 0 < init_std < math.inf:
        raise ValueError(f"{owner}: `init_std` must be None or a float > 0, got {init_std!r}.")
    return float(init_std)


def dense_kernel_initializer(init_std):
    """The kernel initializer of a dense layer of the glimpse network, the policy or a head.

    Args:
        init_std: None for Keras's default (Glorot uniform), or the standard
            deviation of a truncated normal around 0 (slundqui/tfRAM starts
            every such layer at 0.01, so that the policy's first means are
            near the centre and the REINFORCE and baseline gradients that
            reach the core start small).
    """
    if init_std is None:
        return "glorot_uniform"
    return keras.initializers.TruncatedNormal(stddev=init_std)
