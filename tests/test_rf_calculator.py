"""helpers.rf_calculator: the editable layer list reads what a student types, and says what is wrong."""
import pytest

from helpers.rf_calculator import describe, parse_layers, rf_calculator


def test_a_layer_list_gives_the_hand_checked_table():
    text = "C1, 3, 1\nC2, 3, 1, 2   # stride 2\n\nC3 dilated, 3, 2, 1, 2\nC4, 3, 1"
    assert [(s.name, s.kernel, s.padding, s.stride, s.dilation) for s in parse_layers(text)] == [
        ("C1", 3, 1, 1, 1), ("C2", 3, 1, 2, 1), ("C3 dilated", 3, 2, 1, 2), ("C4", 3, 1, 1, 1)]
    assert describe(text).endswith("receptive field 17 x 17 pixels, output 16 x 16, jump 2")  # notebook 02's hand table


@pytest.mark.parametrize("text, fragment", [
    ("C1, 3, one", "line 1"), ("C1, 3", "line 1"), ("C1, 3, 1, 0", "at least 1"), ("", "no layers yet"),
    ("C1, 3, 0, 4\nC2, 3, 0, 4\nC3, 3, 0, 4", "no output left"),
])
def test_what_cannot_be_computed_is_said(text, fragment):
    assert fragment in describe(text)


def test_the_table_is_printed_even_without_widgets(capsys):
    rf_calculator("C1, 3, 1")
    assert "r_out" in capsys.readouterr().out
