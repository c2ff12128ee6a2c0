"""A last phase of training with a narrower location policy.

The deterministic policy, which the paper's error is measured with, glimpses
at the policy's mean; training glimpses at the mean plus Gaussian noise of
std `location_std` (0.1: about 1.4 px on centred MNIST). With
`final_location_std: S` and `final_location_std_epochs: N` in a config
(`--final-location-std S --final-location-std-epochs N`), the last N epochs
train with std S instead, so that the classifier ends on paths close to the
ones it is tested on while the policy still explores (a little). The model
keeps std S afterwards (its config says so); the deterministic policy does not
use it.
"""

import keras


class FinalLocationStd(keras.callbacks.Callback):
    """From epoch `first_epoch` (0-based) on, the location policy samples with std `std`.

    The std is a constant of the compiled training step, so the callback sets
    it and has Keras build the step anew (one more compilation). Resuming a run
    after `first_epoch` sets it before the first step, as an uninterrupted run
    had it.
    """

    def __init__(self, std, first_epoch):
        super().__init__()
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not std > 0:
            raise ValueError(f"FinalLocationStd: std must be a number > 0, got {std!r}.")
        self.std = float(std)
        self.first_epoch = int(first_epoch)

    def on_epoch_begin(self, epoch, logs=None):
        sampler = self.model.location_sampler
        if epoch < self.first_epoch or sampler.std == self.std:
            return
        if sampler.learn_std:
            raise ValueError("FinalLocationStd: the policy learns its std (learn_std=True).")
        sampler.std = self.std
        self.model.make_train_function(force=True)
