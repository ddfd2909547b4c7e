"""One module per variant, each with the same functions, which harness.py calls:

``prepare(catalogue_size)`` declares the catalogue after ``migrate``; ``consent_posts()``
gives the variant's own accept and reject form POSTs (``CONSENT_COOKIE`` names the cookie
they set); ``scenarios(consent)`` gives the requests to measure, by name;
``make_cold()`` empties what a first request would fill; ``describe()`` says which app
and version answered.
"""
