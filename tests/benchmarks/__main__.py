"""``python -m tests.benchmarks [--quick]``: run the side-by-side benchmarks."""

import sys

from tests.benchmarks.run import main

sys.exit(main())
