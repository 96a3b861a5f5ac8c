"""The embedded default issuer: a local RSA signing key and its public JWKS, under auth_dir.

A deployment behind a real identity provider (NHS CIS2, any OpenID Connect issuer) sets
NHSKG_AUTH_ISSUER, NHSKG_AUTH_AUDIENCE and NHSKG_AUTH_JWKS (its JWKS file or URL) and never
needs these files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from service.config import Settings

PRIVATE_KEY = "signing-key.pem"
JWKS_FILE = "jwks.json"


def ensure_local_key(settings: Settings) -> Path:
    """Create the local signing key and the JWKS beside it if missing; return the key's path."""
    folder = settings.auth_dir
    key_path = folder / PRIVATE_KEY
    if key_path.exists():
        return key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": key_id(key), "use": "sig", "alg": "RS256"})
    (folder / JWKS_FILE).write_text(json.dumps({"keys": [public]}, indent=2) + "\n")
    return key_path


def key_id(key: rsa.RSAPrivateKey) -> str:
    """The key's RFC 7638 thumbprint-like id: the first 16 hex digits of its modulus' hash."""
    import hashlib

    modulus = key.public_key().public_numbers().n
    return hashlib.sha256(modulus.to_bytes(256, "big")).hexdigest()[:16]


def load_private_key(settings: Settings) -> tuple[rsa.RSAPrivateKey, str]:
    path = ensure_local_key(settings)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key, key_id(key)
