"""Train an experiment by the name of its config module.

    python -m ram_keras.train CONFIG [flags]           e.g. run_mnist --epochs 5
    ram-train CONFIG [flags]                           (the console script)

The same as `python configs/CONFIG.py [flags]` in the repository, for an
installed package run from any folder: models/, results/ and checkpoints/ go
to the current folder (or --out). `python -m ram_keras.train --list` lists the
configs; `python -m ram_keras.train CONFIG --help` shows a config's flags.
"""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    from ram_keras.training.configs import ConfigError, list_configs, read_config_module

    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return None
    if argv[0] == "--list":
        print("\n".join(list_configs()))
        return None
    try:
        config = read_config_module(argv[0])
    except ConfigError as error:
        sys.exit(f"error: {error}")
    from ram_keras.training.runner import main as run

    return run(config, argv[1:])


def console():
    """The `ram-train` console script: exit status 0 (errors exit through `sys.exit`)."""
    main()
    return 0


if __name__ == "__main__":
    main()
