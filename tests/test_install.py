"""ram_keras installed as a package (a wheel, not editable) and run from another folder."""

import json
import os

import pytest

from helpers import ENV, REPO, run_script

# Prints, after load_config and after running the config as a script, whether the package
# folder is on sys.path and whether `training` imports as a top-level module.
INSTALLED_CONFIG_PATHS = """
import importlib.util, os, runpy, sys
from ram_keras.tasks import load_config
from ram_keras.training.configs import PACKAGE_DIR
def report(when):
    print(when, PACKAGE_DIR in sys.path, importlib.util.find_spec("training") is not None)
load_config("run_mnist")
report("after load_config:")
sys.argv = ["run_mnist.py", "--help"]
try:
    runpy.run_path(os.path.join(PACKAGE_DIR, "configs", "run_mnist.py"), run_name="__main__")
except SystemExit:
    pass
report("after the script:")
"""


@pytest.mark.slow
def test_the_installed_package_trains_evaluates_and_writes_only_to_the_current_folder(tmp_path):
    wheels, site, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    built = run_script("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                       "-w", str(wheels), REPO)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("ram_keras-*.whl")
    installed = run_script("-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                           "--target", str(site), str(wheel))
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert (site / "ram_keras" / "configs" / "run_mnist.py").is_file()
    work.mkdir()
    env = dict(ENV, PYTHONPATH=str(site))
    before = sorted(os.listdir(REPO))

    listed = run_script("-c", "import ram_keras, ram_keras.train as train; "
                        "print(ram_keras.__file__); train.main(['--list'])\n"
                        + INSTALLED_CONFIG_PATHS, cwd=work, env=env)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert listed.stdout.split()[0].startswith(str(site)), listed.stdout  # the installed one
    assert "run_mnist" in listed.stdout.split()
    # An installed config, read by the library or run as a script, puts nothing on sys.path:
    # the package's own modules (`training`, `models`, `data`) never become top-level ones.
    assert [line for line in listed.stdout.splitlines() if line.startswith("after")] == [
        "after load_config: False False", "after the script: False False"], listed.stdout
    trained = run_script("-m", "ram_keras.train", "run_mnist", "--epochs", "1", "--limit", "256",
                         "--eval-limit", "100", "--glimpses", "2", "--no-jit", "--verbose", "0",
                         cwd=work, env=env)
    assert trained.returncode == 0, trained.stderr[-3000:]
    model = work / "models" / "run_mnist" / "run0.weights.h5"
    results = json.loads((work / "results" / "run_mnist" / "results.json").read_text())
    assert model.is_file() and results["runs"][0]["model_path"] == "models/run_mnist/run0.weights.h5"
    evaluated = run_script(str(site / "bin" / "ram-evaluate"), "run_mnist", str(model),
                           "--samples", "1", "--paths", "0", "--json", cwd=work, env=env)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert (work / "results" / "run_mnist" / "glimpses" / "overview.png").is_file()
    plotted = run_script("-m", "ram_keras.plot", "results/run_mnist/results.json", cwd=work,
                         env=env)
    assert plotted.returncode == 0 and (work / "results/run_mnist/accuracy.png").is_file()
    # Nothing went into the installed package or the source tree.
    assert not list(site.rglob("*.weights.h5")) and not list(site.rglob("results.json"))
    assert sorted(os.listdir(REPO)) == before
