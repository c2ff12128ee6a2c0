"""Evaluate a trained model and draw what it did: see `ram_keras/evaluate.py`.

    python evaluate.py run_mnist models/run_mnist/run0.weights.h5 [--json] [--samples N]
        [--paths M] [--split test|validation] [--stochastic] [--movie gif|mp4] [--out DIR]
    python evaluate.py run_catch models/run_catch/run0.weights.h5 [--episodes N] [--seed S]
        [--json] [--samples K] [--movie gif|mp4] [--out DIR]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ram_keras.evaluate import main  # noqa: E402

if __name__ == "__main__":
    main()
