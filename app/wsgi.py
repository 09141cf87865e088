"""The WSGI app Zappa and local servers load (`app.wsgi.app`).

It shares the process-wide container with the queue and sweep handlers, so a Lambda
container reads its settings (and their SSM/Secrets Manager values) and opens its AWS
clients once, whichever entry point runs first.
"""

from app.container import get_container
from app.web import create_app

app = create_app(container=get_container())
