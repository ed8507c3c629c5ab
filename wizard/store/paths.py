"""Where the app keeps its files (platformdirs), overridable for tests and portable use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "zoom-onboard"
HOME_ENV = "ZOOM_ONBOARD_HOME"  # one folder for everything, e.g. a test's tmp_path


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        home = os.environ.get(HOME_ENV)
        if home:
            root = Path(home)
            return cls(root / "config", root / "data", root / "logs")
        import platformdirs  # only here: `history` under ZOOM_ONBOARD_HOME does without it

        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def history_fallback(self) -> Path:
        return self.data_dir / "history-fallback.jsonl"

    @property
    def log_file(self) -> Path:
        """The log's name, not a file: the files are one per day beside it,
        zoom-onboard-2025-01-31.log (wizard/log_files.py: newest_log, log_files)."""
        return self.log_dir / "zoom-onboard.log"
