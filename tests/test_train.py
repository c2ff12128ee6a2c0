"""python -m ram_keras.train: configs by name, for an installed package."""

from helpers import assert_clean_failure, run_main


def test_list_help_and_unknown_configs():
    listed = run_main("train", "--list")
    assert listed.code == 0 and "run_mnist" in listed.stdout.split()
    assert "python -m ram_keras.train CONFIG" in run_main("train").stdout
    unknown = run_main("train", "run_none")
    assert_clean_failure(unknown, 1)
    assert "Unknown config 'run_none'" in unknown.stderr


def test_flags_reach_the_runner(tmp_path):
    result = run_main("train", "run_mnist", "--epochs", "0")
    assert_clean_failure(result, 2)
    assert "--epochs" in result.stderr
