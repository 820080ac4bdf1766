from medbookings_desktop.cli import main

raise SystemExit(main())
