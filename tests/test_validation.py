import numpy as np
import pytest

from ram_keras.models.recurrent_attention import check_loss_weights
from ram_keras.validation import validate_images

GOOD = np.full((2, 28, 28, 1), 0.5, np.float32)


def test_good_images_pass_as_float32_with_their_values():
    images = np.random.default_rng(0).random((2, 28, 28, 1))  # float64 in [0, 1)
    images[0, 0, 0, 0], images[1, 0, 0, 0] = 0.0, 1.0  # both ends of the range pass
    out = validate_images(images, (28, 28, 1))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, images.astype(np.float32))
    same = GOOD.copy()
    assert validate_images(same, (28, 28, 1)) is same  # float32 already: not copied


@pytest.mark.parametrize(
    "images,message",
    [
        (GOOD[0], "rank 4"),
        (np.zeros((2, 60, 60, 1), np.float32), "expects"),
        (np.zeros((2, 28, 28, 1), np.uint8), "divide uint8 images by 255"),
        (np.array([["a"]]), "dtype"),
        (np.zeros((0, 28, 28, 1), np.float32), "empty"),
        (np.where(np.arange(2 * 28 * 28).reshape(2, 28, 28, 1) == 5, np.nan, 0.1), "NaN"),
        (np.full((1, 28, 28, 1), np.inf), "NaN or inf"),
        (np.full((1, 28, 28, 1), 255.0), "[0, 1]"),
        (-GOOD, "[0, 1]"),
    ],
)
def test_bad_images_raise_value_error_naming_the_problem(images, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_images(images, (28, 28, 1))


def test_model_predict_checks_its_input():
    from ram_keras import RecurrentAttentionModel

    model = RecurrentAttentionModel(image_shape=(12, 12, 1), num_glimpses=1, glimpse_size=4,
                                    what_units=4, where_units=4, glimpse_units=4,
                                    core_units=4)
    with pytest.raises(ValueError, match="expects"):
        model.predict(np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        model.predict_monte_carlo(np.full((1, 12, 12, 1), np.nan, np.float32))
    assert model.predict(np.zeros((3, 12, 12, 1), np.float32), verbose=0).shape == (3, 10)


@pytest.mark.parametrize("value", [-0.5, float("nan"), True, "1", None])
def test_check_loss_weights_names_the_bad_weight(value):
    with pytest.raises(ValueError, match=r"Owner: `reinforce_weight` must be a float >= 0"):
        check_loss_weights("Owner", baseline_weight=1.0, reinforce_weight=value)
    check_loss_weights("Owner", baseline_weight=0, reinforce_weight=2.5)  # good ones pass
