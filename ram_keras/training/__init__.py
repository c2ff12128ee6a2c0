"""One runner for every task: configs, flags, checkpoints and resume, strategies, results."""
