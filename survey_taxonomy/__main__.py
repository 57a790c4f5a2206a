"""`python -m survey_taxonomy`: the maintainers' command line (see `cli`)."""

import sys

from .cli import main

sys.exit(main())
