"""`python -m lead_manager`: the same command line as `lead-manager`."""

import sys

from lead_manager.cli import main

sys.exit(main())
