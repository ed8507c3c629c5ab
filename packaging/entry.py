"""PyInstaller's entry point for the bundle: the same `main()` as the `zoom-onboard` script."""

import sys

from wizard.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
