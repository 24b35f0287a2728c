"""helpers.rf_calculator: the editable layer list reads what a student types, says what is wrong,
and its table follows the text box."""
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


def test_typing_in_the_box_updates_the_one_table(capsys):
    """Drives the widget as a student does: a new `.value` in the text box, through the same
    observe(names="value") callback ipywidgets 7 (Colab) and 8 call, replaces the table."""
    pytest.importorskip("ipywidgets")
    calculator = rf_calculator("C1, 3, 1")
    assert "receptive field 3 x 3 pixels" in calculator.table.value
    calculator.box.value = "C1, 3, 1\nC2, 3, 1, 2\nC3, 3, 1"
    assert "receptive field 9 x 9 pixels, output 16 x 16, jump 2" in calculator.table.value
    assert calculator.table.value.count("r_out") == 1  # one table, not the old one and the new one
    calculator.box.value = "C1, 3, one"
    assert "cannot read the layers" in calculator.table.value and "r_out" not in calculator.table.value
    assert capsys.readouterr().out == ""  # nothing printed beside the widget


def test_shown_once_as_widgets_or_as_the_plain_table():
    pytest.importorskip("ipywidgets")
    calculator = rf_calculator("C1, 3, 1\nC2, 3, 1, 2")
    bundle = calculator._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == calculator.widget.model_id
    assert calculator.box in calculator.widget.children and calculator.table in calculator.widget.children
    assert bundle["text/plain"].count("r_out") == 1 and "receptive field 5 x 5" in bundle["text/plain"]
    calculator.box.value = "C1, 3, 1"
    assert "receptive field 3 x 3" in calculator._repr_mimebundle_()["text/plain"]


def test_without_ipywidgets_the_plain_table_is_shown(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_widgets(name, *args, **kwargs):
        if name == "ipywidgets":
            raise ImportError("no ipywidgets here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_widgets)
    bundle = rf_calculator("C1, 3, 1")._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "receptive field 3 x 3" in bundle["text/plain"]
