"""The signal a write to the catalogue's tables sends when Django's model signals miss it.

``save()`` and ``delete()`` send ``post_save`` and ``post_delete``; a queryset's
``update()``, ``bulk_create()`` and ``bulk_update()`` send nothing. The catalogue's
querysets send :data:`rows_written` after such a write, and the snapshot listens to it as
to the model signals, to drop itself.

The signal has a module of its own so that the models stay the bottom layer: they tell
of a write without importing the snapshot that reads them, and the snapshot listens
without importing the models (it is imported before Django's app registry is ready).
"""

from django.dispatch import Signal

# Sent after the write, with sender= the model and using= the database alias.
rows_written = Signal()
