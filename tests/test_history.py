import pytest

from ram_keras.training.history import EpochRecorder, first_epoch_reaching, summarize


def test_recorder_names_train_and_validation_metrics_and_writes_after_every_epoch():
    written = []
    recorder = EpochRecorder(lambda: written.append(1))
    recorder.on_train_begin()
    recorder.on_epoch_end(0, {"loss": 1.5, "val_loss": 1.2, "accuracy": 0.5})
    recorder.on_epoch_end(1, {"loss": 1.0, "val_loss": 0.9, "accuracy": 0.7})
    history = recorder.history
    assert history["epoch"] == [1, 2] and history["train_loss"] == [1.5, 1.0]
    assert history["val_loss"] == [1.2, 0.9] and history["train_accuracy"] == [0.5, 0.7]
    assert len(written) == 2 and history["wall_time_s"][1] >= history["wall_time_s"][0]


def test_a_resumed_recorder_continues_its_history_and_wall_time():
    recorder = EpochRecorder(lambda: None, history={"epoch": [1], "wall_time_s": [10.0],
                                                    "train_loss": [2.0]},
                             wall_time_offset=10.0)
    recorder.on_train_begin()
    recorder.on_epoch_end(1, {"loss": 1.0})
    assert recorder.history["epoch"] == [1, 2] and recorder.history["train_loss"] == [2.0, 1.0]
    assert recorder.history["wall_time_s"][1] >= 10.0


def test_the_recorder_counts_sampled_paths_also_across_a_resume():
    recorder = EpochRecorder(lambda: None, paths_per_epoch=500)
    recorder.on_epoch_end(0, {})
    recorder.on_epoch_end(1, {})
    assert recorder.history["paths_seen"] == [500, 1000]
    # A checkpoint written before paths were counted: filled in from its epochs.
    resumed = EpochRecorder(lambda: None, history={"epoch": [1, 2], "wall_time_s": [1.0, 2.0]},
                            paths_per_epoch=30)
    resumed.on_epoch_end(2, {})
    assert resumed.history["paths_seen"] == [30, 60, 90]
    assert "paths_seen" not in EpochRecorder(lambda: None).history


def test_first_epoch_reaching_a_target():
    history = {"epoch": [1, 2, 3], "wall_time_s": [1.0, 2.0, 3.0],
               "val_reward": [0.5, 0.96, 0.94], "val_loss": [3.0, 2.0, 1.0]}
    assert first_epoch_reaching(history, "val_reward", 0.95) == {"epoch": 2, "wall_time_s": 2.0}
    assert first_epoch_reaching(history, "val_reward", 0.97) is None
    assert first_epoch_reaching(history, "val_loss", 1.5, higher_is_better=False)["epoch"] == 3


def test_summary_is_mean_and_std_over_runs():
    runs = [{"final": {"test_accuracy": 0.9, "note": "x", "flag": True}},
            {"final": {"test_accuracy": 0.8}}]
    summary = summarize(runs)
    assert list(summary) == ["test_accuracy"]  # numbers only, not strings or flags
    assert summary["test_accuracy"]["n"] == 2
    assert summary["test_accuracy"]["mean"] == pytest.approx(0.85)
    assert summary["test_accuracy"]["std"] == pytest.approx(0.05)
