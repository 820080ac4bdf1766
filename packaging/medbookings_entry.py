"""The frozen app's entry point: the same `medbookings` command as the installed script."""

from medbookings_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
