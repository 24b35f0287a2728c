"""The receptive-field calculator of notebook 02: an editable layer list whose table updates as
you type (what a spreadsheet would do).

    parse_layers   "name, kernel, padding, stride, dilation" a line → LayerSpecs (errors say which line);
                   the layers up to global pooling, which is not listed (the kit's RF convention, notebook 02)
    describe       the table for a layer list, and the RF it reaches (or what is wrong with the list)
    rf_calculator  a text box of layers and the table below it, shown once: as widgets where a front
                   end draws them (Jupyter, Colab), as the plain table where none does (tests, a static page)

The widgets use only what ipywidgets 7 (Colab) and 8 share: a Textarea observed with
`observe(..., names="value")`, and an HTML widget whose `value` is set to the new table. No
Output widget: what is printed into one is collected by the front end, not by the kernel, so a
test could not read it and a front end that does not capture it would print the table elsewhere.
"""
import html

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


class RFCalculator:
    """The layers in a text box (`.box`) and their table below it (`.table`, an HTML widget whose
    value is replaced on every edit). Displayed, it is the widgets where a front end draws them,
    and the plain table everywhere else (its text/plain form): the table appears once either way."""

    def __init__(self, text, input_size=32):
        self.input_size = input_size
        try:
            import ipywidgets as widgets
        except ImportError:  # no widgets: the plain table is all there is; edit `text` and run again
            self.box = self.table = self.widget = None
            self._text = text
            return
        self.box = widgets.Textarea(value=text, rows=min(max(len(text.splitlines()), 6), 20),
                                    layout=widgets.Layout(width="60%"))
        self.table = widgets.HTML()
        self.box.observe(self.update, names="value")  # one callback a change of the text, ipywidgets 7 and 8
        self.update()
        self.widget = widgets.VBox([widgets.HTML("<b>Edit the layers</b> up to global pooling (name, kernel, padding, stride, dilation):"),
                                    self.box, self.table])

    @property
    def text(self):
        """The table (and its RF line) for the layers as they are now."""
        return describe(self.box.value if self.box is not None else self._text, self.input_size)

    def update(self, change=None):
        self.table.value = f"<pre>{html.escape(self.text)}</pre>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.text}
        if self.widget is not None:  # the same entry ipywidgets 7 and 8 write for a widget of their own
            bundle["application/vnd.jupyter.widget-view+json"] = {
                "version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        return bundle


def rf_calculator(text, input_size=32):
    """A text box of `text`'s layers and the table below it, which follows every edit. Shown as the
    last value of a cell; without a notebook, print(rf_calculator(text).text)."""
    return RFCalculator(text, input_size)
