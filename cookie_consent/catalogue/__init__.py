"""The catalogue: the categories and cookies a site declares, as one immutable snapshot.

The snapshot, its cache protocol and its value types are in ``snapshot``; reading and
writing catalogue files in ``loading``; the default catalogue in ``defaults``; the rules a
row must follow in ``validation``; cookie names and patterns in ``names``; texts per
language in ``translation``; the cookies Django and this app need in ``essential``.
"""
