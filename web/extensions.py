"""Flask extensions, created once and bound to an app in ``create_app``."""

from flask_sqlalchemy import SQLAlchemy

from shared.models import Base

# The models are plain SQLAlchemy classes from shared/ (workers use them without Flask); this
# instance only gives the web app its engine and a session per request.
db = SQLAlchemy(metadata=Base.metadata)
