"""`python -m dashboard COMMAND`: the same command line as the `lu-seats` script."""

from dashboard.cli import main

raise SystemExit(main())
