"""Shared checks for the layer tests."""

import keras


def assert_config_roundtrip(layer):
    """A layer rebuilt from its config has the same config."""
    config = layer.get_config()
    rebuilt = layer.__class__.from_config(config)
    assert rebuilt.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    return rebuilt
