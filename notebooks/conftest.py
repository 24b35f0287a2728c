"""`pytest --nbval-lax notebooks/` runs each notebook in a Jupyter kernel of its own; the kernels
inherit this process's environment, which this file sets up.

KIT_SMOKE=1 puts every notebook in smoke mode (helpers.machinery.notebook.smoke_mode): a small subset, a
short run, and the student's networks, runs and figures in one scratch folder a kernel, never in the
kit's my_networks/, runs/ or images/. The data come from
$CIFAR10_ROOT, or, when it is unset, from a small subset made once from a CIFAR-10 download
(tools/subset_for_tests.py), which this file points CIFAR10_ROOT at.

MPLBACKEND is left alone on purpose: a kernel picks matplotlib's inline backend, which shows the
figures; with Agg, each `plt.show()` would warn that it cannot show anything.

nbval compares only the cells marked `# NBVAL_CHECK_OUTPUT` against the outputs stored in the
.ipynb. To re-run the notebooks and store them that way: `python -m tools.refresh_notebooks`.
"""
import os

from tools.subset_for_tests import use_subset_for_tests

os.environ["KIT_SMOKE"] = "1"


def pytest_configure(config):
    use_subset_for_tests()
