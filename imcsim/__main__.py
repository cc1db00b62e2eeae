from imcsim.cli import main

raise SystemExit(main())
