"""``python -m chaos`` (``make chaos``): the fault-injection suite against a running laddnet."""

from chaos.cli import main

raise SystemExit(main())
