"""The process layer: the ``onlinetracker`` command and the supervisor of ``onlinetracker run``.

This is the composition root: it imports every app (``web``, ``agent_gateway``, ``worker``) and
starts them. ``shared/`` is the schema package beneath them all and imports none of them
(``tests/test_layering.py``).
"""
