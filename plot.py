"""Plot training curves from results.json files: see `ram_keras/plot.py`.

    python plot.py results/run_mnist/results.json [more.json ...] [--out FILE.png]
        [--metric NAME] [--x epoch|paths|time]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ram_keras.plot import main  # noqa: E402

if __name__ == "__main__":
    main()
