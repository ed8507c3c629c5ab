"""Cells of the CSV files this app writes (the history, the queue), safe to open in a
spreadsheet."""

from __future__ import annotations

__all__ = ["cell"]

# A spreadsheet runs a cell that starts like this as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """`value` as CSV text: nothing for None, true/false for a flag, and a leading apostrophe
    for text that a spreadsheet would run as a formula (an email or a customer's name comes from
    people)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
