"""The Qt wizard: the only layer that imports Qt. It drives the flow for onboarding, and reads
and writes the store (profiles, keyring, history) for the operator's own data."""

import PySide6.QtCore  # noqa: F401  (its import hook is in place from here on)

from wizard.ui import _pyside_imports

# Before any other module of the wizard (or the core it loads) is imported.
_pyside_imports.faster()
