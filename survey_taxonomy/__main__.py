import sys

from .cli import main
from .models import commands  # noqa: F401  (registers `ask` and `suggest-category` with cli.EXTENSIONS)

sys.exit(main())
