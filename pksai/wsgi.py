import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pksai.settings")

from pksai.core.server import BodySizeLimit  # noqa: E402 (needs the settings module set)

application = BodySizeLimit(get_wsgi_application())
