from laddnet.bench.cli import main

raise SystemExit(main())
