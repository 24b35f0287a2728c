"""tools/refresh_notebooks: what it stores, and that nbval sees the same outputs in the marked cells.

The merge and the output handling are tested on outputs made by hand; one test runs a two-cell
notebook in a real kernel (a few seconds) to check the figure prologue and the environment."""
import base64
import struct

import nbformat
import pytest

from tools import refresh_notebooks as refresh

v4 = nbformat.v4


def stream(text, name="stdout"):
    return v4.new_output("stream", name=name, text=text)


def image(png=b"PNG", text="<Figure size 640x480 with 1 Axes>"):
    return v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(), "text/plain": text})


def widget():
    return v4.new_output("display_data", data={refresh.WIDGET: {"model_id": "x"}, "text/plain": "HBox(children=...)"})


def notebook(*sources, raw=None):
    nb = v4.new_notebook(cells=[v4.new_code_cell(source) for source in sources])
    for cell, outputs in zip(nb.cells, raw or []):
        cell.raw_outputs = outputs
        cell.outputs, cell.execution_count = refresh.as_nbval_sees(outputs), 1
    return nb


def test_a_reader_sees_cleared_output_cleared_and_no_widgets():
    outputs = [stream("epoch 1\n"), {refresh.CLEAR: False}, widget(), stream("epoch 2\n"),
               {refresh.CLEAR: True}, stream("still here\n"), image(), stream("a\rab\rabc\n")]
    shown = refresh.as_a_reader_sees(outputs)
    assert [o.output_type for o in shown] == ["stream", "display_data", "stream"]
    assert shown[0].text == "still here\n" and shown[2].text == "abc\n"


def test_nbval_sees_every_output_and_ignores_clear_output():
    outputs = [stream("a\n"), {refresh.CLEAR: False}, stream("b\n"), image()]
    seen = refresh.as_nbval_sees(outputs)
    assert [o.output_type for o in seen] == ["stream", "display_data"] and seen[0].text == "a\nb\n"


def test_comparison_skips_what_nbval_skips():
    assert refresh.comparable([stream("x\n"), image(b"one")]) == refresh.comparable([stream("x\n"), image(b"two")])
    assert refresh.comparable([stream("x\n")]) != refresh.comparable([stream("y\n")])
    assert refresh.comparable([stream("10%\r100%\n")]) == refresh.comparable([stream("100%\n")])


def test_marked_cells_keep_the_smoke_run_and_the_rest_the_full_run():
    marked, plain = f"{refresh.CHECK_MARKER}\nprint(n)", "plot()"
    full = notebook(marked, plain, raw=[[stream("193,514\n")], [stream("full\n"), widget(), image(b"full")]])
    smoke = notebook(marked, plain, raw=[[stream("193,514\n")], [stream("smoke\n"), image(b"smoke")]])
    assert refresh.merge_full_run(full, smoke) == []
    assert full.cells[0].outputs == smoke.cells[0].outputs
    assert [o.output_type for o in full.cells[1].outputs] == ["stream", "display_data"]
    assert full.cells[1].outputs[0].text == "full\n"
    assert all(cell.execution_count for cell in full.cells), "stored outputs need an execution count (nbval)"


def test_a_marked_cell_printed_in_several_messages_is_stored_once():
    """A loop of prints arrives as several stream messages; comparing and storing both merge them,
    and the stored text must still be what the cell printed, once."""
    marked = f"{refresh.CHECK_MARKER}\nfor corner in 'ab': print(corner)"
    raw = lambda: [stream("a\n"), stream("b\n")]
    full, smoke = notebook(marked, raw=[raw()]), notebook(marked, raw=[raw()])
    assert refresh.merge_full_run(full, smoke) == []
    assert [o.text for o in full.cells[0].outputs] == ["a\nb\n"]


def test_a_marked_cell_that_prints_differently_is_reported_and_stored_as_nbval_sees_it():
    marked = f"{refresh.CHECK_MARKER}\nprint(len(data))"
    full = notebook(marked, raw=[[stream("50000\n")]])
    smoke = notebook(marked, raw=[[stream("500\n")]])
    assert refresh.merge_full_run(full, smoke) == [1]
    assert full.cells[0].outputs[0].text == "500\n"


def test_the_notebooks_ask_colab_for_a_gpu():
    nb = v4.new_notebook()
    refresh.ask_colab_for_a_gpu(nb)
    assert nb.metadata["accelerator"] == "GPU" and nb.metadata["colab"]["gpuType"] == "T4"


def test_kernel_environment_for_each_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_SMOKE", "1")
    assert refresh.kernel_env(smoke=True)["KIT_SMOKE"] == "1"
    full = refresh.kernel_env(smoke=False, data_root=tmp_path)
    assert "KIT_SMOKE" not in full and full["CIFAR10_ROOT"] == str(tmp_path.resolve())


def png_size(b64):
    width, height = struct.unpack(">II", base64.b64decode(b64)[16:24])
    return width, height


@pytest.mark.parametrize("dpi", [50, 100])
def test_a_real_kernel_runs_the_prologue_and_stores_figures_at_its_dpi(tmp_path, dpi):
    nb = v4.new_notebook(cells=[
        v4.new_code_cell("import os\nprint(os.environ.get('KIT_SMOKE'))"),
        v4.new_code_cell("import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(4, 2))\n"
                         "plt.plot([0, 1]); plt.axis('off'); plt.show()"),
    ])
    refresh.execute(nb, cwd=tmp_path, timeout=120, env=refresh.kernel_env(smoke=False),
                    prologue=refresh.figure_prologue(dpi))
    assert nb.cells[0].outputs[0].text == "None\n"
    pngs = [o.data["image/png"] for o in refresh.as_a_reader_sees(nb.cells[1].raw_outputs) if "image/png" in o.get("data", {})]
    assert len(pngs) == 1
    width, height = png_size(pngs[0])
    assert 0.6 * 4 * dpi <= width <= 4 * dpi and height <= 2 * dpi  # cropped to its content (bbox_inches='tight')
