import sys

try:  # importing torch takes seconds: a Ctrl-C then has nothing to save, and says so in one line
    from helpers.train.cli import main
except KeyboardInterrupt:
    print("\ninterrupted while starting (loading torch): nothing was trained or saved.", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
