import sys

from helpers.train.cli import main

sys.exit(main())
