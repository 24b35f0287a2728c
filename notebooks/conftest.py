"""`pytest --nbval-lax notebooks/` runs each notebook in a Jupyter kernel of its own; the kernels
inherit this process's environment, which this file sets up.

KIT_SMOKE=1 puts every notebook in smoke mode (helpers.notebook.smoke_mode): a small subset, a
short run, figures written to a scratch folder rather than images/. The data come from
$CIFAR10_ROOT (run the tests with it set: there is no download under test).

MPLBACKEND is left alone on purpose: a kernel picks matplotlib's inline backend, which shows the
figures; with Agg, each `plt.show()` would warn that it cannot show anything.

nbval compares only the cells marked `# NBVAL_CHECK_OUTPUT` against the outputs stored in the
.ipynb. To re-run the notebooks and store them that way: `python -m tools.refresh_notebooks`.
"""
import os

os.environ["KIT_SMOKE"] = "1"
