import sys

from helpers.bench.cli import main

sys.exit(main())
