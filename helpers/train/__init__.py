"""`python -m helpers.train`: the whole training run from the command line (cli.py)."""
