"""OnlineTracker's one schema package: configuration, models, migrations, checks and status rules.

Both Flask apps, the Celery workers and the agent import from here; nothing else defines tables.
"""
