"""The recurrent core that integrates glimpses over time: Keras's own RNN cells."""

import keras

CORE_TYPES = ("relu", "lstm")


def make_core_cell(units=256, core_type="relu", identity_init=False, name="core"):
    """The core as a Keras RNN cell.

    - `"relu"`: `keras.layers.SimpleRNNCell` with ReLU,
      `h_t = ReLU(W_g g_t + W_h h_{t-1} + b)`, the paper's classifier core.
      `identity_init` starts `W_h` as the identity (IRNN, Le et al. 2015), so
      the state carries over unchanged until training says otherwise;
      otherwise `W_h` starts orthogonal (Keras's default). `W_g` is
      Glorot-uniform.
    - `"lstm"`: `keras.layers.LSTMCell` (the paper's Catch core), with Keras's
      defaults: gates in the order input, forget, cell, output, and the
      forget-gate bias starting at 1 (`unit_forget_bias`).

    Both are called as `h, new_states = cell(g_t, states)`, with `states` a
    list (`[h]` for ReLU, `[h, c]` for LSTM) and `h = new_states[0]`.
    """
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError(f"core: `units` must be a positive int, got {units!r}.")
    if core_type not in CORE_TYPES:
        raise ValueError(f"core: `core_type` must be one of {CORE_TYPES}, got {core_type!r}.")
    if core_type == "lstm":
        return keras.layers.LSTMCell(units, name=name)
    recurrent_initializer = "identity" if identity_init else "orthogonal"
    return keras.layers.SimpleRNNCell(units, activation="relu",
                                      recurrent_initializer=recurrent_initializer, name=name)
