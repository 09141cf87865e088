"""The WSGI app Zappa and local servers load (`app.wsgi.app`)."""

from app.web import create_app

app = create_app()
