"""The catalogue: the categories and cookies a site declares, as one immutable snapshot.

The snapshot and its cache protocol are in ``snapshot``, the value types it holds in
``values``, the back-off after a failing database or cache in ``outages``, reading the
rows in ``rows``, the models in ``models`` (the bottom layer; ``edits`` carries the signal
of their bulk writes); catalogue files are read in ``parsing`` and written by ``loading``,
the one writer of rows, which the default catalogue (``defaults``) goes through too. The
rules a row follows are in ``validation``, cookie names and patterns in ``names``, texts
per language in ``translation``, and the cookies Django and this app need in
``essential``.
"""
