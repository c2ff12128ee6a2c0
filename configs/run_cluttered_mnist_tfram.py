"""Cluttered 60x60 MNIST with slundqui/tfRAM's whole recipe, on tfRAM's task definition.

tfRAM reports the best public RAM figure on cluttered 60x60 MNIST: 2.63% error of single
sampled glimpse paths. Its recipe differs from `run_cluttered_mnist`'s in many respects
at once, all of which this config takes (read from its code, docs/hard_tasks.md):

- its clutter: the digit first, the 4 pieces blended over it (`clutter_style: blend`);
- 10 sampled glimpse paths per image, 32 images per update (320 paths), each path judged
  against the learned baseline (`paths_per_input: 10`);
- an LSTM core of 256 (`core_type: lstm`), into which the REINFORCE and baseline gradients
  flow too (`reinforce_to_core`);
- REINFORCE averaged over the 8 glimpses, not summed (`reinforce_weight: 1/8`), so that in
  the core it weighs against the cross-entropy as much as in tfRAM;
- every dense layer outside the LSTM starting from N(0, 0.01) weights (`init_std`);
- a uniformly random first glimpse, then 7 from the policy (`first_location: random`);
  a linear location mean clipped to the image (`mean_activation: clip`), std 0.1;
- Adam at 1e-3, decayed x0.98 every half epoch to a floor of 1e-5 (`staircase`), the
  location policy's gradients and all others' each clipped at global norm 5
  (`group_clip_norm`);
- 55,000 training digits (`validation_digits: 5000`) and 291 epochs of 1,719 updates: its
  500,000 updates with its decay every 860 updates.

Left as ours: the retina's coarse scales average their pixels (tfRAM's resizing keeps every
second or fourth pixel and fills the image's outside with noise), and tfRAM's REINFORCE term
for a ninth location that is never looked at is not taken. A sampled path costs about 1.8
times one of `run_cluttered_mnist`, so its 160 million paths take 12-23 hours on a 2-core
CPU: it trains across sessions. The last epoch's checkpoint is committed in
`models/run_cluttered_mnist_tfram/checkpoint/`; to continue it,

    mkdir -p checkpoints/run_cluttered_mnist_tfram
    cp -r models/run_cluttered_mnist_tfram/checkpoint checkpoints/run_cluttered_mnist_tfram/run0
    python configs/run_cluttered_mnist_tfram.py --resume

To test a checkpoint on the test set without stopping the run, give evaluate.py its weights
file (`epochNNNN.weights.h5` in `checkpoints/run_cluttered_mnist_tfram/run0/`):

    python evaluate.py run_cluttered_mnist_tfram WEIGHTS_FILE

After every epoch the history records the validation error of all three metrics
(`validation_paths: 10`).
Run `python configs/run_cluttered_mnist_tfram.py --help` for the flags.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A script of a source checkout imports the checkout's ram_keras; imported (by
# ram_keras.training.configs) or installed, the module leaves sys.path alone.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__" and os.path.isdir(os.path.join(_checkout, "ram_keras")):
    sys.path.insert(0, _checkout)

from ram_keras.defaults import with_tfram_recipe  # noqa: E402
from ram_keras.training.configs import read_config_module  # noqa: E402
from ram_keras.training.runner import main  # noqa: E402

CONFIG = {
    **with_tfram_recipe(read_config_module("run_cluttered_mnist_paper")),
    "name": "run_cluttered_mnist_tfram",
    "description": "Cluttered 60x60 MNIST, tfRAM's recipe and clutter: 10 paths per image, "
                   "LSTM 256, REINFORCE (mean over glimpses) into the core, N(0, 0.01) "
                   "weights, random first glimpse, staircase Adam, policy clipped apart at 5.",
    "clutter_style": "blend",
    "epochs": 291,
}

if __name__ == "__main__":
    main(CONFIG)
