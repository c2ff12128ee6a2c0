"""The experiment configs: one module `run_<name>.py` per experiment, each a dict `CONFIG`.

Installed with ram_keras as `ram_keras.configs`; see `ram_keras.training.configs`.
"""
