"""``python -m isacsim.cli``: the ``isacsim`` command."""
import sys

from . import main

sys.exit(main())
