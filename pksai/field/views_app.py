"""The field app's pages under /lapangan/ (decision 0032): the app shell, its service worker
and its web manifest. None of them holds personal data: the shell is the same for every
worker (the words of her language and the app's settings), the data come from
/api/v1/field/bundle into the encrypted store on the device."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from pksai.core.times import zone_name
from pksai.field.strings import field_strings

# What the service worker precaches besides the shell page itself (static paths).
SHELL_ASSETS = (
    "pksai/vendor/pico/pico.min.css",
    "pksai/css/pksai.css",
    "field/field.css",
    "field/app.js",
    "field/store.js",
    "field/views.js",
    "field/forms.js",
    "field/sync.js",
    "pksai/favicon.svg",
    "field/icons/icon-192.png",
)
ICONS = (
    ("field/icons/icon-192.png", "192x192", "any"),
    ("field/icons/icon-512.png", "512x512", "any"),
    ("field/icons/maskable-512.png", "512x512", "maskable"),
)
APP_NAME = "PKSAI Lapangan"  # a name, like PKSAI itself: the same in every language
THEME_COLOUR = "#0b3d6b"  # --pksai-blue in pksai/static/pksai/css/pksai.css
BACKGROUND_COLOUR = "#ffffff"


@cache
def shell_version() -> str:
    """A hash of the shell's files and template: a new release gets a new cache name, and the
    service worker removes the old one when it activates."""
    digest = hashlib.sha256()
    for path in SHELL_ASSETS:
        with open(finders.find(path), "rb") as handle:
            digest.update(handle.read())
    for name in ("field/shell.html", "field/sw.js"):
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()[:12]


PHOTO_MAX_BYTES = 2 * 1024 * 1024  # per photo in the outbox, after downscaling


def field_config() -> dict:
    return {
        "version": shell_version(),
        "language": get_language(),
        "zone": timezone.get_current_timezone_name(),
        "zone_label": zone_name(),
        "wipe_days": settings.PKSAI_FIELD_WIPE_DAYS,
        "pin_attempts": settings.PKSAI_FIELD_PIN_ATTEMPTS,
        "gps": settings.PKSAI_FIELD_GPS,  # offer "add my position" on a visit
        # a photo taken offline, after downscaling on the device (decision 0037)
        "photo_max": min(PHOTO_MAX_BYTES, settings.ATTACHMENT_MAX_BYTES),
        "bundle_url": "/api/v1/field/bundle",
        "sw_url": reverse("lapangan:sw"),
        "scope": reverse("lapangan:shell"),
        "login_url": reverse("accounts:login"),
        "site_url": reverse("core:home"),
    }


# the shell's policy is the site's, plus blob: images: a queued photo's thumbnail is an object
# URL made from the bytes decrypted in memory, revoked once drawn (decision 0037)
SHELL_CSP = {**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], "blob:"]}


@login_required
@require_GET
@csp_override(SHELL_CSP)
def shell(request):
    """The app shell: the same page for every worker, rendered in her language. It sets the
    CSRF cookie the sync sends back with its writes (the API checks it on a session)."""
    get_token(request)
    return render(
        request,
        "field/shell.html",
        {"strings": field_strings(), "config": field_config(), "app_name": APP_NAME},
    )


@require_GET
def service_worker(request):
    """The service worker at /lapangan/sw.js (its scope is /lapangan/)."""
    shell_urls = [reverse("lapangan:shell"), reverse("lapangan:manifest")]
    shell_urls += [static(path) for path in SHELL_ASSETS]
    body = render_to_string(
        "field/sw.js",
        {
            "setup": json.dumps(
                {
                    "version": shell_version(),
                    "shell": shell_urls,
                    "page": reverse("lapangan:shell"),
                    "api": "/api/",
                }
            )
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("lapangan:shell")
    return response


@require_GET
def manifest(request):
    """The web manifest (install on the home screen): Indonesian by default."""
    data = {
        "name": APP_NAME,
        "short_name": APP_NAME,
        "description": _("Your cases and lists on your phone, also without a connection."),
        "lang": get_language(),
        "start_url": reverse("lapangan:shell"),
        "scope": reverse("lapangan:shell"),
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
