"""Signing keys for access tokens: an HS256 secret or an EdDSA key ring with `kid`s.

Exactly one algorithm is in force per ring, so verification never trusts the token's own
`alg` header beyond checking that it names the ring's algorithm.

On disk (`load_ed25519_ring`): a directory of PEM files. ``<kid>.pem`` holds a private
key (can sign and verify); ``<kid>.next.pem`` a staged private key (published and
verifying, not signing until promoted); ``<kid>.pub.pem`` only a public key (verifies
tokens issued before a rotation until it is retired by deleting the file). The newest
private key (greatest kid; kids are UTC timestamps) signs. `rotate_ed25519_key` adds one.
Secrets and private keys are written with file mode 0600.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

__all__ = [
    "Algorithm",
    "KeyRing",
    "SigningKey",
    "load_ed25519_ring",
    "load_or_create_secret",
    "promote_staged_keys",
    "rotate_ed25519_key",
]

Algorithm = Literal["HS256", "EdDSA"]

MIN_SECRET_BYTES = 32
_log = structlog.get_logger("brainhost.auth.keys")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key of a ring. `private` is None for keys kept only to verify older tokens."""

    kid: str
    algorithm: Algorithm
    verifying: bytes | Ed25519PublicKey
    private: bytes | Ed25519PrivateKey | None

    @property
    def can_sign(self) -> bool:
        return self.private is not None


class KeyRing:
    """The keys of one algorithm; the current key signs, every key verifies."""

    def __init__(self, keys: Iterable[SigningKey], current_kid: str) -> None:
        self._keys: dict[str, SigningKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise ValueError(f"duplicate key id {key.kid!r} in key ring")
            self._keys[key.kid] = key
        if current_kid not in self._keys or not self._keys[current_kid].can_sign:
            raise ValueError(f"current key {current_kid!r} is not a private key of the ring")
        algorithms = {key.algorithm for key in self._keys.values()}
        if len(algorithms) != 1:
            raise ValueError(f"a key ring holds one algorithm, got {sorted(algorithms)}")
        self._current = self._keys[current_kid]

    @classmethod
    def hs256(cls, secret: bytes, kid: str = "hs256") -> KeyRing:
        """A ring of one shared secret (at least 32 bytes, RFC 7518 §3.2)."""
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the HS256 secret must be at least {MIN_SECRET_BYTES} bytes, got {len(secret)}"
            )
        return cls([SigningKey(kid, "HS256", secret, secret)], kid)

    @classmethod
    def ed25519(
        cls, private: Mapping[str, Ed25519PrivateKey], public: Mapping[str, Ed25519PublicKey]
    ) -> KeyRing:
        """A ring of Ed25519 keys; the greatest kid among `private` signs."""
        if not private:
            raise ValueError("an EdDSA key ring needs at least one private key")
        keys = [SigningKey(kid, "EdDSA", k.public_key(), k) for kid, k in private.items()]
        keys += [SigningKey(kid, "EdDSA", k, None) for kid, k in public.items()]
        return cls(keys, max(private))

    @property
    def algorithm(self) -> Algorithm:
        return self._current.algorithm

    @property
    def current(self) -> SigningKey:
        return self._current

    @property
    def only(self) -> SigningKey | None:
        """The single key of a one-key ring (no need to read `kid` first), else None."""
        return self._current if len(self._keys) == 1 else None

    def get(self, kid: str) -> SigningKey | None:
        return self._keys.get(kid)

    def kids(self) -> list[str]:
        return sorted(self._keys)

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set; empty for a shared-secret ring."""
        if self.algorithm != "EdDSA":
            return {"keys": []}
        entries = []
        for kid in sorted(self._keys):
            key = self._keys[kid]
            assert isinstance(key.verifying, Ed25519PublicKey)
            jwk = OKPAlgorithm.to_jwk(key.verifying, as_dict=True)
            entries.append({**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": entries}


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 from the start (never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _tighten(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        _log.warning("key_file_mode_tightened", path=str(path), was=oct(mode))
        os.chmod(path, 0o600)


def load_or_create_secret(path: Path, *, nbytes: int = 32) -> bytes:
    """The secret stored at `path`, generating it (mode 0600) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            _write_private(path, secrets.token_hex(nbytes).encode())
            _log.info("secret_generated", path=str(path))
        except FileExistsError:
            pass  # another process created it first; read theirs
    _tighten(path)
    value = path.read_bytes().strip()
    if len(value) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{path} holds {len(value)} bytes; a secret needs at least {MIN_SECRET_BYTES}"
        )
    return value


def _new_kid() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"ed25519-{stamp}-{secrets.token_hex(2)}"


def rotate_ed25519_key(directory: Path, *, staged: bool = False) -> str:
    """Generate a key in `directory`; returns its kid.

    By default it signs at once (older keys keep verifying). With `staged` it is written as
    ``<kid>.next.pem``: published in the JWKS and accepted, but not used to sign until
    `promote_staged_keys`, so verifiers that cache the JWKS learn it before it is used.
    """
    with _locked(directory):
        return _create_key(directory, staged=staged)


def promote_staged_keys(directory: Path) -> list[str]:
    """Make staged keys signing keys (the newest one signs); returns their kids."""
    with _locked(directory):
        promoted = []
        for path in sorted(directory.glob(f"*{_STAGED}")):
            kid = path.name.removesuffix(_STAGED)
            path.rename(directory / f"{kid}.pem")
            promoted.append(kid)
            _log.info("signing_key_promoted", kid=kid)
        return promoted


def load_ed25519_ring(directory: Path) -> KeyRing:
    """Load every key in `directory`, creating a first key when there is none.

    Holds an exclusive lock on ``<directory>/.lock`` meanwhile, so processes starting
    together agree on one first key.
    """
    with _locked(directory):
        if not any(_kind(p) == "private" for p in directory.iterdir()):
            _create_key(directory, staged=False)
        private: dict[str, Ed25519PrivateKey] = {}
        public: dict[str, Ed25519PublicKey] = {}
        for path in sorted(directory.iterdir()):
            kind = _kind(path)
            if kind is None:
                continue
            data = path.read_bytes()
            if kind == "public":
                key = serialization.load_pem_public_key(data)
                if not isinstance(key, Ed25519PublicKey):
                    raise ValueError(f"{path} is not an Ed25519 public key")
                public[path.name.removesuffix(_PUBLIC)] = key
                continue
            _tighten(path)
            priv = serialization.load_pem_private_key(data, password=None)
            if not isinstance(priv, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 private key")
            if kind == "staged":
                public[path.name.removesuffix(_STAGED)] = priv.public_key()
            else:
                private[path.name.removesuffix(".pem")] = priv
    return KeyRing.ed25519(private, public)


_PUBLIC = ".pub.pem"
_STAGED = ".next.pem"


def _kind(path: Path) -> Literal["private", "staged", "public"] | None:
    name = path.name
    if name.endswith(_PUBLIC):
        return "public"
    if name.endswith(_STAGED):
        return "staged"
    if name.endswith(".pem"):
        return "private"
    return None


def _create_key(directory: Path, *, staged: bool) -> str:
    kid = _new_kid()
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(directory / f"{kid}{_STAGED if staged else '.pem'}", pem)
    _log.info("signing_key_created", kid=kid, staged=staged)
    return kid


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
