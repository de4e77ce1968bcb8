"""Test set-up for the whole repository (tests/ and the notebooks in book/).

Notebooks are validated (nbval) in website mode, exactly as `make notebooks`
executed them, so the explorers print the same precomputed output. The kernel
nbval starts inherits this process's environment.
"""

import os

os.environ["DLBOOK_EXPLORERS"] = "static"
# The same single BLAS thread as `make notebooks` (see tools/refresh_notebooks.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Results of training are compared within the tolerance their cell states
# (a "# tolerance: ..." line); everything else exactly. See tools/nbval_tolerance.py.
pytest_plugins = ["tools.nbval_tolerance"]
