import sys

from . import (
    citations_cli,  # noqa: F401  (registers `citations refresh` and `discover` with cli.EXTENSIONS)
    submissions_cli,  # noqa: F401  (registers the `submissions` commands with cli.EXTENSIONS)
)
from .cli import main
from .models import commands  # noqa: F401  (registers `ask` and `suggest-category` with cli.EXTENSIONS)

sys.exit(main())
