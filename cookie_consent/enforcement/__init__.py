"""Enforcement: what may cross the server, both ways, for one request.

The middleware's request phase (``inbound``) returns a ``passage.Passage`` that its
response phase (``outbound``) gets as an argument; ``verdicts`` judges a name,
``exemption`` says which requests are left alone, ``expiry`` writes the deletions, and
``undeclared`` counts the names the catalogue does not declare (``tally``, ``writer``,
``flusher``; directions in ``directions``)."""
