"""The receptive-field calculator of notebook 02: the course write-ups' spreadsheet, as an
editable layer list whose table updates as you type.

    parse_layers   "name, kernel, padding, stride, dilation" a line → LayerSpecs (errors say which line)
    rf_calculator  a text box of layers and the table below it (ipywidgets; also printed once,
                   so that a notebook without widgets, or under the tests, still shows it)
"""
from helpers.receptive_field import LayerSpec, format_table, receptive_field_table


def parse_layers(text):
    """Each non-empty line: `name, kernel, padding, stride, dilation` (the last two may be left
    out: 1). Lines starting with # are comments. Raises ValueError naming the line it cannot read."""
    specs = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, *values = [part.strip() for part in line.split(",")]
        try:
            numbers = [int(v) for v in values]
        except ValueError:
            raise ValueError(f"line {number} ({line!r}): kernel, padding, stride and dilation must be whole numbers") from None
        if not 2 <= len(numbers) <= 4 or min(numbers) < 0 or numbers[0] < 1 or min(numbers[2:], default=1) < 1:
            raise ValueError(f"line {number} ({line!r}): write `name, kernel, padding[, stride[, dilation]]` with "
                             f"kernel, stride and dilation of at least 1")
        specs.append(LayerSpec(name, *numbers))
    return specs


def describe(text, input_size=32):
    """The table for a layer list, and its last line: the RF, or what is wrong with the list."""
    try:
        specs = parse_layers(text)
    except ValueError as error:
        return f"cannot read the layers: {error}"
    if not specs:
        return "no layers yet: write one a line, `name, kernel, padding, stride, dilation`"
    rows = receptive_field_table(specs, input_size)
    if min(row["n_out"] for row in rows) < 1:
        first = next(row for row in rows if row["n_out"] < 1)
        return format_table(rows) + f"\n\n{first['name']} has no output left (n_out < 1): less stride or more padding"
    last = rows[-1]
    return (format_table(rows) + f"\n\nreceptive field {last['r_out']} x {last['r_out']} pixels, "
            f"output {last['n_out']} x {last['n_out']}, jump {last['j_out']}")


def rf_calculator(text, input_size=32):
    """Print the table for `text`, and return a widget to edit the layers and watch it update."""
    print(describe(text, input_size))
    try:
        import ipywidgets as widgets
    except ImportError:  # the table above is all there is
        return None
    box = widgets.Textarea(value=text, rows=min(max(len(text.splitlines()), 6), 20),
                           layout=widgets.Layout(width="60%"))
    shown = widgets.Output()

    def update(change=None):
        shown.clear_output()
        with shown:
            print(describe(box.value, input_size))

    box.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HTML("<b>Edit the layers</b> (name, kernel, padding, stride, dilation):"), box, shown])
