"""A visitor's consent: the signed consent cookie, the state a request reads from it, the
decisions that change it and what Google's Consent Mode is told of it."""
