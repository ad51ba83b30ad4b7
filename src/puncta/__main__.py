from puncta.cli import main

raise SystemExit(main())
