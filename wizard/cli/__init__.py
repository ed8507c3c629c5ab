"""The command line: `zoom-onboard` and its headless commands."""
