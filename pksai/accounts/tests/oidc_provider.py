"""A real OpenID Connect provider for the tests: pyop (IdentityPython's OP library, the one
SATOSA runs) behind a small WSGI server on https://127.0.0.1 and a random port, in a thread.
The TLS certificate is made for the run; ``ca_file`` is what clients trust (the tests set
REQUESTS_CA_BUNDLE to it).

pyop does the protocol: the discovery document, the JWKS, authentication requests, the code
exchange with ID tokens it signs with a fresh RSA key, refresh tokens and the userinfo
endpoint. This module adds only what a provider's product adds around the library: a user
list with passwords, a sign-in form, and disabling a user (which revokes their tokens, as
Keycloak or Entra ID do).
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from Cryptodome.PublicKey import RSA
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwkest.jwk import RSAKey
from pyop.authz_state import AuthorizationState
from pyop.exceptions import (
    BearerTokenError,
    InvalidAccessToken,
    InvalidAuthenticationRequest,
    InvalidClientAuthentication,
    OAuthError,
)
from pyop.provider import Provider
from pyop.subject_identifier import HashBasedSubjectIdentifierFactory
from pyop.userinfo import Userinfo

# The scope a client asks for to receive PKSAI's claims (docs/single-sign-on.md).
PKSAI_SCOPE = {"pksai": ["pksai_roles", "pksai_areas", "active"]}


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the stdlib's name)
        pass


class LocalProvider:
    """``with LocalProvider(client_id=..., client_secret=..., redirect_uris=[...]) as op:``"""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        name: str = "Test Identity",
        refresh_tokens: bool = True,
    ):
        self.name = name
        self.users: dict[str, dict] = {}  # username → {"password", "disabled"}
        self.claims: dict[str, dict] = {}  # username → OpenID claims (pyop's userinfo store)
        self.client_id = client_id
        self.client_secret = client_secret
        self._redirect_uris = redirect_uris
        self._refresh_tokens = refresh_tokens
        self._server = make_server(
            "127.0.0.1", 0, self._app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self._tls()
        self.issuer = f"https://127.0.0.1:{self._server.server_port}"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.requests: list[tuple[str, str]] = []  # (method, path) the provider answered
        self._build_provider()

    def _tls(self) -> None:
        """A self-signed certificate for 127.0.0.1, and the listening socket wrapped in TLS."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(prefix="pksai-op-"))
        self.ca_file = str(folder / "cert.pem")
        Path(self.ca_file).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file = folder / "key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    def _build_provider(self) -> None:
        issuer = self.issuer
        configuration = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "claims_supported": ["sub", "name", "given_name", "family_name", "email"]
            + PKSAI_SCOPE["pksai"],
        }
        self.authz_state = AuthorizationState(
            HashBasedSubjectIdentifierFactory(secrets.token_hex(16)),
            refresh_token_lifetime=3600 if self._refresh_tokens else None,
            access_token_lifetime=3600,
        )
        clients = {
            self.client_id: {
                "client_secret": self.client_secret,
                "redirect_uris": self._redirect_uris,
                "response_types": ["code"],
                "subject_type": "public",
                "token_endpoint_auth_method": "client_secret_basic",
            }
        }
        signing_key = RSAKey(key=RSA.generate(2048), alg="RS256", kid=secrets.token_hex(4))
        self.provider = Provider(
            signing_key,
            configuration,
            self.authz_state,
            clients,
            Userinfo(self.claims),
            id_token_lifetime=600,
            extra_scopes=PKSAI_SCOPE,
        )

    # --- the provider's own administration ----------------------------------------------------

    def add_user(self, username: str, password: str, **claims) -> None:
        self.users[username] = {"password": password, "disabled": False}
        self.claims[username] = {"preferred_username": username, **claims}

    def disable(self, username: str) -> None:
        """Disable the account: no more sign-ins, and every token issued for it revoked."""
        self.users[username]["disabled"] = True
        state = self.authz_state
        identifiers = state.subject_identifiers.get(username, {})
        for sub in set(identifiers.values()):
            state.delete_state_for_subject_identifier(sub)
        for token, info in list(state.refresh_tokens.items()):
            if info["access_token"] not in state.access_tokens:
                del state.refresh_tokens[token]

    # --- running ------------------------------------------------------------------------------

    def __enter__(self) -> LocalProvider:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- HTTP ---------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        self.requests.append((method, path))
        query = environ.get("QUERY_STRING", "")
        body = ""
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length).decode()
        headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
        if path == "/.well-known/openid-configuration":
            return _json(start_response, self.provider.provider_configuration.to_dict())
        if path == "/jwks":
            return _json(start_response, self.provider.jwks)
        if path == "/authorize":
            return self._authorize(start_response, method, query, body)
        if path == "/token" and method == "POST":
            try:
                answer = self.provider.handle_token_request(body, headers)
            except InvalidClientAuthentication as error:
                return _json(start_response, json.loads(error.to_json()), "401 Unauthorized")
            except OAuthError as error:
                return _json(start_response, json.loads(error.to_json()), "400 Bad Request")
            return _json(start_response, answer.to_dict())
        if path == "/userinfo":
            try:
                answer = self.provider.handle_userinfo_request(body or query, headers)
            except (BearerTokenError, InvalidAccessToken):
                start_response(
                    "401 Unauthorized", [("WWW-Authenticate", 'Bearer error="invalid_token"')]
                )
                return [b""]
            return _json(start_response, answer.to_dict())
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def _authorize(self, start_response, method, query, body):
        form = dict(parse_qsl(body)) if method == "POST" else {}
        request_query = form.get("request", query)
        try:
            auth_request = self.provider.parse_authentication_request(request_query)
        except InvalidAuthenticationRequest as error:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [str(error).encode()]
        error = ""
        if method == "POST":
            user = self.users.get(form.get("username", ""))
            if (
                user
                and not user["disabled"]
                and secrets.compare_digest(user["password"], form.get("password", ""))
            ):
                answer = self.provider.authorize(auth_request, form["username"])
                location = answer.request(auth_request["redirect_uri"], False)
                start_response("303 See Other", [("Location", location)])
                return [b""]
            error = "<p role='alert'>Wrong username or password, or the account is disabled.</p>"
        page = f"""<!doctype html><html lang="en"><head><title>{html.escape(self.name)}</title>
<meta name="viewport" content="width=device-width"></head><body><main>
<h1>{html.escape(self.name)}</h1>{error}
<form method="post" action="/authorize">
<input type="hidden" name="request" value="{html.escape(request_query)}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Log in to {html.escape(self.name)}</button>
</form></main></body></html>"""
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]


def _json(start_response, data, status="200 OK"):
    start_response(status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    return [json.dumps(data).encode()]


def form_fields(page: str) -> dict[str, str]:
    """The hidden fields of the provider's sign-in form (for tests that post it directly)."""
    import re

    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    }
