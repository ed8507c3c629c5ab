"""How a command ends; also the process exit code. Import-free for start-up time."""

import enum


class Outcome(enum.IntEnum):
    OK = 0
    FAILED = 1  # refused by Nylas, Zoom or the customer; or Nylas unreachable
    BAD_INPUT = 2  # bad input or environment (missing secret, bad URI, busy port, no display)
    TIMEOUT = 3  # timed out or cancelled
