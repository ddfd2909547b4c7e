"""Enforcement: the per-request verdicts on cookies both ways, the deletion variants that
expire a refused cookie, and the tally of cookies the catalogue does not declare."""
