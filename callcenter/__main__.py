"""`python -m callcenter`: the same command line as the `callcenter` script."""

from callcenter.cli import main

raise SystemExit(main())
