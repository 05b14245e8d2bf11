"""Reproducible reporting pipeline for the "Comunità di pratiche" section of
Con i Bambini's social report (Bilancio sociale).

`pipeline.build.build()` is the whole build; `python -m pipeline` its CLI.
"""

__version__ = "0.1.0"
