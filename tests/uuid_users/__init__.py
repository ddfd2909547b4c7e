"""A user model whose primary key is a UUID, for a process of its own.

``AUTH_USER_MODEL`` cannot change in a running test process, so tests/records/test_chain.py runs
``decisions.py`` here in a subprocess, under ``tests.uuid_users.settings``.
"""
