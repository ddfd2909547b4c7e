from django.dispatch import Signal

# Sent after every stored decision, with ``request``, ``old`` and ``new``
# (cookie_consent.consent.state.ConsentState before and after).
consent_changed = Signal()
