"""The generated editions that stress the pages: the shapes the sample does
not have (used by the PDF and browser tests and by `make screenshots`)."""

from __future__ import annotations

from .shapes import Shape

# Forty calls, six years of meetings (2018-2023), every mode, a long cycle.
STRESS = Shape(anno=2023, bandi=40, gruppi=160, progetti=1200, senza_gruppo=40, incontri=1500,
               dopo_riferimento=12, anni=6, temi_ciclo=4, temi_extra=3,
               modalita=("online", "in presenza", "mista"), facilitatori=12, completi="alcuni", seed=13)
# One call, a single month of meetings.
SMALL = Shape(anno=2024, bandi=1, gruppi=1, progetti=3, incontri=1, anni=1, temi_ciclo=1, temi_extra=1,
              facilitatori=1, completi="tutti", seed=5)
