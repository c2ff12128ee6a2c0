"""The glimpse network: what was seen combined with where it was seen."""

import keras
from keras import ops

from ram_keras.layers.glimpse_sensor import check_positive_int
from ram_keras.layers.initializers import check_init_std, dense_kernel_initializer


@keras.saving.register_keras_serializable(package="ram_keras")
class GlimpseNetwork(keras.layers.Layer):
    """Glimpse feature vector `g = ReLU(W_what h_what + W_where h_where + b)`.

    `h_what = ReLU(Linear(flatten(patches)))` encodes the retina's output and
    `h_where = ReLU(Linear(location))` encodes the location; the paper uses
    128, 128 -> 256 units.

    Args:
        what_units: int, size of `h_what`.
        where_units: int, size of `h_where`.
        output_units: int, size of `g`.
        init_std: None (Glorot uniform kernels) or the std of truncated-normal
            kernels (`ram_keras.layers.initializers`).

    Input shape:
        A list `[patches, locations]`: patches `(batch, num_scales, g, g, c)`
        from `GlimpseSensor`, locations `(batch, 2)`.

    Output shape:
        `(batch, output_units)`.
    """

    def __init__(self, what_units=128, where_units=128, output_units=256, init_std=None,
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (
            ("what_units", what_units),
            ("where_units", where_units),
            ("output_units", output_units),
        ):
            check_positive_int("GlimpseNetwork", name, value)
        self.what_units = what_units
        self.where_units = where_units
        self.output_units = output_units
        self.init_std = check_init_std("GlimpseNetwork", init_std)
        dense = dict(activation="relu", kernel_initializer=dense_kernel_initializer(init_std))
        self.what_dense = keras.layers.Dense(what_units, name="what", **dense)
        self.where_dense = keras.layers.Dense(where_units, name="where", **dense)
        # One matrix on [h_what, h_where] is W_what h_what + W_where h_where.
        self.combine_dense = keras.layers.Dense(output_units, name="combine", **dense)

    def build(self, input_shape):
        patches_shape, locations_shape = input_shape
        flat = 1
        for dim in patches_shape[1:]:
            flat *= dim
        self.what_dense.build((patches_shape[0], flat))
        self.where_dense.build(locations_shape)
        self.combine_dense.build((patches_shape[0], self.what_units + self.where_units))

    def call(self, inputs):
        patches, locations = inputs
        flat = ops.reshape(patches, (ops.shape(patches)[0], -1))
        h_what = self.what_dense(flat)
        h_where = self.where_dense(locations)
        return self.combine_dense(ops.concatenate([h_what, h_where], axis=-1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.output_units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "what_units": self.what_units,
                "where_units": self.where_units,
                "output_units": self.output_units,
                "init_std": self.init_std,
            }
        )
        return config
