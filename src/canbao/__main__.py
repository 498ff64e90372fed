from canbao.cli import main

raise SystemExit(main())
