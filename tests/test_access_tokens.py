"""Tokens: `nhskg token issue` mints with the local key (made if missing), the verifier reads
the JWKS file, and a JWKS served by a URL works the same (an issuer on loopback)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.access.principal import Role, ScopeItem
from service.access.tokens import InvalidToken, TokenVerifier, issue_token
from service.cli import app
from service.config import Settings


def test_cli_mints_a_token_the_service_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NHSKG_AUTH_DIR", str(tmp_path / "auth"))
    result = CliRunner().invoke(
        app,
        ["token", "issue", "--role", "analyst", "--scope", "region:Y58", "--purpose", "P",
         "--days", "30"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "auth" / "signing-key.pem").stat().st_mode & 0o777 == 0o600
    principal = TokenVerifier(Settings()).verify(result.stdout.strip())
    assert (principal.role, principal.scopes, principal.purpose) == (
        Role.ANALYST,
        (ScopeItem("region", "Y58"),),
        "P",
    )
    bad = CliRunner().invoke(app, ["token", "issue", "--scope", "region:South West"])
    assert bad.exit_code == 2
    assert "is not a geography scope" in bad.output


def test_a_jwks_url_is_read_like_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NHSKG_AUTH_DIR", str(tmp_path))
    minted = issue_token(Settings(), subject="ann", role="analyst", scopes=["national"])
    jwks = (tmp_path / "jwks.json").read_bytes()

    class Issuer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Issuer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        verifier = TokenVerifier(Settings(auth_jwks=url))
        assert verifier.verify(minted).subject == "ann"
        monkeypatch.setenv("NHSKG_AUTH_DIR", str(tmp_path / "other"))
        stranger = issue_token(Settings(), subject="eve", role="admin", scopes=["national"])
        with pytest.raises(InvalidToken, match="no key"):
            verifier.verify(stranger)
    finally:
        server.shutdown()
    assert json.loads(jwks)["keys"][0]["alg"] == "RS256"
