"""Under another Keras backend, `import ram_keras` fails at once, in one line."""

import json

import pytest

from helpers import ENV, run_script

CODE = ("import sys\n"
        "try:\n"
        "    import ram_keras\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "    print('keras imported:', 'keras' in sys.modules)\n")


@pytest.mark.parametrize("how", ["KERAS_BACKEND", "keras.json"])
def test_import_fails_in_one_line_under_another_backend(how, tmp_path):
    env = dict(ENV, KERAS_HOME=str(tmp_path))
    env.pop("KERAS_BACKEND", None)
    if how == "KERAS_BACKEND":
        env["KERAS_BACKEND"] = "jax"
        backend = "jax"
    else:  # Keras's own config file names the backend
        (tmp_path / "keras.json").write_text(json.dumps({"backend": "torch"}))
        backend = "torch"
    result = run_script("-c", CODE, env=env, timeout=120)
    lines = result.stdout.splitlines()
    assert lines[0] == (f"ram_keras needs Keras's TensorFlow backend, but the backend is "
                        f"{backend!r}: set KERAS_BACKEND=tensorflow (or unset it)."), result
    # Before Keras itself: the message does not depend on jax or torch being installed.
    assert lines[1] == "keras imported: False"
