"""Italian formatting of numbers, dates, lists and record text.

Used by the context stage and registered as Jinja filters by `render`.
Babel supplies the locale data (thousands `.`, decimals `,`, month names);
this module adds the typographic details of the published report: a
non-breaking space between a number and its noun, lower-case months, the
typographic apostrophe and quotes.
"""

from __future__ import annotations

import re
from datetime import date

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

LOCALE = "it_IT"
NBSP = "\u00a0"


def number(value: int | float) -> str:
    """`1234` -> `1.234`; `12.5` -> `12,5`."""
    return format_decimal(value, locale=LOCALE)


def long_date(value: date) -> str:
    """`2021-12-31` -> `31 dicembre 2021` (non-breaking space after the day)."""
    return format_date(value, "d MMMM y", locale=LOCALE).replace(" ", NBSP, 1)


def month(value: date) -> str:
    """`2020-11-10` -> `novembre 2020`."""
    return format_date(value, "LLLL y", locale=LOCALE)


def count(value: int, singular: str, plural: str) -> str:
    """`count(1, 'gruppo', 'gruppi')` -> `1 gruppo`; 16 -> `16 gruppi`,
    the number held to its noun by a non-breaking space."""
    return f"{number(value)}{NBSP}{singular if value == 1 else plural}"


def change(value: int) -> str:
    """Signed change with the typographic minus: `+43`, `−2`, `0`."""
    if value > 0:
        return f"+{number(value)}"
    if value < 0:
        return f"\u2212{number(-value)}"
    return "0"


def percent_change(value: int | float | None) -> str:
    """Signed change in per cent: `+133%`, `−98%`, `+0,4%`; `–` when there
    is none to give (the figure it would be relative to is 0)."""
    if value is None:
        return "–"
    return f"{change(value)}%"


def join(items) -> str:
    """Natural Italian list (Babel's list patterns): `A`, `A e B`, `A, B e C`."""
    items = [str(i) for i in items]
    return format_list(items, locale=LOCALE) if items else ""


def typeset(text: str) -> str:
    """Typographic apostrophe and quotes in text a reader sees:
    `l'iniziativa "Comunità"` -> `l’iniziativa “Comunità”`."""
    text = text.replace("'", "’")
    return re.sub(r'"([^"]*)"', "“\\1”", text)


FILTERS = {
    "numero": number,
    "data": long_date,
    "mese": month,
    "conta": count,
    "elenco": join,
    "variazione": change,
    "percentuale": percent_change,
    "tipo": typeset,
}
