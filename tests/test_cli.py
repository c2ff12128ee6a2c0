"""ram_keras.training.cli: argument types, the shared training flags, the OSError message."""

import argparse
import errno

import pytest

from ram_keras.training import cli


@pytest.mark.parametrize("kind, text, value", [
    (cli.non_negative_int, "0", 0), (cli.non_negative_int, "17", 17),
    (cli.positive_int, "1", 1), (cli.positive_int, " 200 ", 200),
    (cli.positive_float, "0.1", 0.1), (cli.positive_float, "1e-3", 1e-3),
])
def test_good_values_convert(kind, text, value):
    assert kind(text) == value and type(kind(text)) is type(value)


@pytest.mark.parametrize("kind, text, words", [
    (cli.non_negative_int, "-1", "must be >= 0, got -1"),
    (cli.non_negative_int, "1.5", "must be an integer, got '1.5'"),
    (cli.positive_int, "0", "must be a positive integer, got 0"),
    (cli.positive_int, "-3", "must be a positive integer, got -3"),
    (cli.positive_int, "ten", "must be an integer, got 'ten'"),
    (cli.positive_float, "0", "must be a finite number > 0, got 0"),
    (cli.positive_float, "-0.5", "got -0.5"),
    (cli.positive_float, "nan", "got nan"),
    (cli.positive_float, "inf", "got inf"),
    (cli.positive_float, "abc", "must be a number, got 'abc'"),
    (cli.device_list, " , ", "must name at least one device"),
])
def test_bad_values_raise_argparse_errors(kind, text, words):
    with pytest.raises(argparse.ArgumentTypeError, match=words.replace(".", r"\.")):
        kind(text)


def test_device_list_splits_and_strips():
    assert cli.device_list("/gpu:0, /gpu:1,") == ["/gpu:0", "/gpu:1"]


def test_training_flags_defaults_and_resume_restart_exclusive(capsys):
    parser = argparse.ArgumentParser(prog="run_x")
    config = {"epochs": 7, "runs": 1, "batch_size": 64, "learning_rate": 1e-3, "seed": 3,
              "jit_compile": False}
    cli.add_training_flags(parser, config)
    args = parser.parse_args([])
    assert (args.out, args.verbose, args.resume, args.restart) == (".", None, False, False)
    assert (args.epochs, args.batch_size, args.seed, args.jit, args.strategy) == (
        7, 64, 3, False, "default")
    assert args.gradient_clip_norm == 0.0 and args.weight_averaging == 0.0
    args = parser.parse_args(["--out", "elsewhere", "--verbose", "2", "--resume"])
    assert (args.out, args.verbose, args.resume) == ("elsewhere", 2, True)
    clipped = argparse.ArgumentParser(prog="run_y")
    cli.add_training_flags(clipped, dict(config, gradient_clip_norm=5.0))
    assert clipped.parse_args([]).gradient_clip_norm == 5.0
    assert clipped.parse_args(["--gradient-clip-norm", "0"]).gradient_clip_norm == 0.0
    averaged = argparse.ArgumentParser(prog="run_z")
    cli.add_training_flags(averaged, dict(config, weight_averaging=0.999))
    assert averaged.parse_args([]).weight_averaging == 0.999
    assert averaged.parse_args(["--weight-averaging", "0"]).weight_averaging == 0.0
    for argv in (["--resume", "--restart"], ["--verbose", "3"], ["--gradient-clip-norm", "-1"],
                 ["--weight-averaging", "1"]):
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(argv)
        assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "not allowed with argument --resume" in err and "invalid choice: 3" in err
    assert "must be a finite number >= 0, got -1" in err
    assert "must be 0 or a number in (0, 1), got 1" in err


def test_os_error_message_is_one_line_with_the_file():
    error = OSError(errno.EACCES, "Permission denied", "/root/results.json")
    assert cli.os_error_message(error) == "error: Permission denied: /root/results.json"
    assert cli.os_error_message(OSError("disk full")) == "error: disk full"
