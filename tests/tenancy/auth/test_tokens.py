"""Access tokens: pinned algorithms, tampering, expiry with clock skew, key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tenancy.auth.keys import (
    KeyRing,
    load_ed25519_ring,
    load_or_create_secret,
    promote_staged_keys,
    rotate_ed25519_key,
)
from tenancy.auth.tokens import AccessTokenCodec
from tenancy.errors import InvalidTokenError, TokenExpiredError

SECRET = b"s" * 32
WS = {"ws_1": "owner"}


def codec(
    ring: KeyRing | None = None, *, clock_offset: float = 0.0, ttl: int = 900, leeway: float = 30.0
) -> AccessTokenCodec:
    return AccessTokenCodec(
        ring or KeyRing.hs256(SECRET),
        issuer="brainhost",
        audience="brainhost-api",
        ttl_s=ttl,
        leeway_s=leeway,
        clock=lambda: time.time() + clock_offset,
    )


def issue(c: AccessTokenCodec) -> str:
    token, _ = c.issue(user_id="usr_1", email="a@example.org", session_id="fam_1", workspaces=WS)
    return token


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip_carries_every_claim() -> None:
    c = codec()
    token, issued = c.issue(
        user_id="usr_1", email="a@example.org", session_id="fam_1", workspaces=WS
    )
    claims = c.verify(token)
    assert claims == issued
    payload = jwt.decode(token, options={"verify_signature": False})
    assert set(payload) >= {"iss", "aud", "sub", "iat", "exp", "jti", "email", "workspaces"}
    assert payload["exp"] - payload["iat"] == 900
    assert jwt.get_unverified_header(token)["kid"] == "hs256"


def test_each_token_has_its_own_jti() -> None:
    c = codec()
    assert c.verify(issue(c)).jti != c.verify(issue(c)).jti


def test_a_tampered_payload_is_rejected() -> None:
    c = codec()
    header, payload, signature = issue(c).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["workspaces"] = {"ws_other": "owner"}
    forged = ".".join([header, b64(json.dumps(claims).encode()), signature])
    with pytest.raises(InvalidTokenError, match="altered or forged"):
        c.verify(forged)


def test_a_flipped_signature_is_rejected() -> None:
    c = codec()
    token = issue(c)
    last = "A" if token[-1] != "A" else "B"
    with pytest.raises(InvalidTokenError):
        c.verify(token[:-1] + last)


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    other = issue(codec(KeyRing.hs256(b"x" * 32)))
    with pytest.raises(InvalidTokenError):
        codec().verify(other)


def test_alg_none_is_rejected() -> None:
    c = codec()
    _, payload, _ = issue(c).split(".")
    unsigned = b64(b'{"alg":"none","typ":"JWT","kid":"hs256"}') + "." + payload + "."
    with pytest.raises(InvalidTokenError, match="only HS256"):
        c.verify(unsigned)


def test_hs256_signed_with_the_eddsa_public_key_is_rejected(tmp_path: Path) -> None:
    ring = load_ed25519_ring(tmp_path / "keys")
    c = codec(ring)
    public = ring.current.verifying
    pem = public.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _, payload, _ = issue(c).split(".")
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": ring.current.kid}).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = b64(hmac.new(pem, signing_input, hashlib.sha256).digest())
    with pytest.raises(InvalidTokenError, match="only EdDSA"):
        c.verify(f"{header}.{payload}.{signature}")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_algorithm_of_the_same_key_type_is_rejected() -> None:
    c = codec()
    token = jwt.encode(
        {
            "sub": "usr_1",
            "iss": "brainhost",
            "aud": "brainhost-api",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "jti": "j",
            "sid": "f",
            "email": "a@example.org",
        },
        SECRET,
        algorithm="HS512",
        headers={"kid": "hs256"},
    )
    with pytest.raises(InvalidTokenError, match="only HS256"):
        c.verify(token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 100, "ey.ey.ey"])
def test_garbage_is_rejected(garbage: str) -> None:
    with pytest.raises(InvalidTokenError):
        codec().verify(garbage)


def test_wrong_audience_or_issuer_is_rejected() -> None:
    token = issue(codec())
    for kwargs in ({"audience": "other"}, {"issuer": "other"}):
        c = AccessTokenCodec(
            KeyRing.hs256(SECRET),
            issuer=kwargs.get("issuer", "brainhost"),
            audience=kwargs.get("audience", "brainhost-api"),
        )
        with pytest.raises(InvalidTokenError):
            c.verify(token)


def test_missing_required_claims_are_rejected() -> None:
    token = jwt.encode(
        {"sub": "usr_1", "iss": "brainhost", "aud": "brainhost-api", "exp": time.time() + 60},
        SECRET,
        algorithm="HS256",
        headers={"kid": "hs256"},
    )
    with pytest.raises(InvalidTokenError, match="iat"):
        codec().verify(token)


def test_expired_beyond_the_leeway_is_rejected() -> None:
    issued_earlier = codec(clock_offset=-(900 + 31), leeway=30)
    with pytest.raises(TokenExpiredError):
        codec().verify(issue(issued_earlier))


def test_expired_within_the_leeway_is_accepted() -> None:
    issued_earlier = codec(clock_offset=-(900 + 20), leeway=30)
    assert codec(leeway=30).verify(issue(issued_earlier)).user_id == "usr_1"


def test_issuer_clock_ahead_within_the_leeway_is_accepted() -> None:
    ahead = codec(clock_offset=20)
    assert codec(leeway=30).verify(issue(ahead)).user_id == "usr_1"


def test_issuer_clock_ahead_beyond_the_leeway_is_rejected() -> None:
    ahead = codec(clock_offset=120)
    with pytest.raises(InvalidTokenError, match="not yet valid"):
        codec(leeway=30).verify(issue(ahead))


def test_short_hs256_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing.hs256(b"short")


def test_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jwt_secret"
    first = load_or_create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first
    assert len(first) >= 32


def test_a_world_readable_secret_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "jwt_secret"
    path.write_bytes(b"z" * 40)
    os.chmod(path, 0o644)
    assert load_or_create_secret(path) == b"z" * 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_eddsa_ring_creates_a_private_key_with_mode_0600(tmp_path: Path) -> None:
    ring = load_ed25519_ring(tmp_path / "keys")
    files = list((tmp_path / "keys").glob("*.pem"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert ring.algorithm == "EdDSA"
    c = codec(ring)
    assert c.verify(issue(c)).email == "a@example.org"


def test_rotated_keys_keep_verifying_until_retired(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    old_ring = load_ed25519_ring(keys)
    old_token = issue(codec(old_ring))
    new_kid = rotate_ed25519_key(keys)
    ring = load_ed25519_ring(keys)
    assert ring.current.kid == new_kid
    new_token = issue(codec(ring))
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert codec(ring).verify(old_token).user_id == "usr_1"
    (keys / f"{old_ring.current.kid}.pem").unlink()
    retired = load_ed25519_ring(keys)
    with pytest.raises(InvalidTokenError, match="unknown or retired key"):
        codec(retired).verify(old_token)
    assert codec(retired).verify(new_token).user_id == "usr_1"


def test_public_only_keys_verify_but_never_sign(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    old_ring = load_ed25519_ring(keys)
    old_kid = old_ring.current.kid
    old_token = issue(codec(old_ring))
    rotate_ed25519_key(keys)
    public = old_ring.current.verifying.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (keys / f"{old_kid}.pem").unlink()
    (keys / f"{old_kid}.pub.pem").write_bytes(public)
    ring = load_ed25519_ring(keys)
    assert ring.current.kid != old_kid
    assert codec(ring).verify(old_token).user_id == "usr_1"


def test_jwks_lists_every_public_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    load_ed25519_ring(keys)
    rotate_ed25519_key(keys)
    ring = load_ed25519_ring(keys)
    document = ring.jwks()
    assert sorted(k["kid"] for k in document["keys"]) == ring.kids()
    for key in document["keys"]:
        assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
        assert "d" not in key
    token = issue(codec(ring))
    jwk = jwt.PyJWKSet.from_dict(document)[jwt.get_unverified_header(token)["kid"]]
    assert jwt.decode(token, jwk, algorithms=["EdDSA"], audience="brainhost-api")["sub"] == "usr_1"


def test_hs256_rings_publish_no_keys() -> None:
    assert KeyRing.hs256(SECRET).jwks() == {"keys": []}


def test_staged_keys_are_published_before_they_sign(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = load_ed25519_ring(keys).current.kid
    staged = rotate_ed25519_key(keys, staged=True)
    ring = load_ed25519_ring(keys)
    assert ring.current.kid == first
    assert staged in [k["kid"] for k in ring.jwks()["keys"]]
    assert promote_staged_keys(keys) == [staged]
    promoted = load_ed25519_ring(keys)
    assert promoted.current.kid == staged
    assert jwt.get_unverified_header(issue(codec(promoted)))["kid"] == staged


def test_a_token_from_a_newer_key_reloads_the_ring_once(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    loads = []

    def reload() -> KeyRing:
        loads.append(1)
        return load_ed25519_ring(keys)

    here = AccessTokenCodec(
        load_ed25519_ring(keys), issuer="brainhost", audience="brainhost-api", reload=reload
    )
    rotate_ed25519_key(keys)  # another process rotates and signs with the new key
    elsewhere = codec(load_ed25519_ring(keys))
    assert here.verify(issue(elsewhere)).user_id == "usr_1"
    assert len(loads) == 1
    rotate_ed25519_key(keys)
    newer = codec(load_ed25519_ring(keys))
    with pytest.raises(InvalidTokenError, match="unknown or retired key"):
        here.verify(issue(newer))  # within the reload interval: no second reload
    assert len(loads) == 1


def test_unknown_kids_never_reload_a_ring_without_a_loader() -> None:
    token = jwt.encode({"sub": "x"}, b"q" * 32, algorithm="HS256", headers={"kid": "somebody-else"})
    with pytest.raises(InvalidTokenError, match="unknown or retired key"):
        codec().verify(token)


def test_processes_starting_together_agree_on_one_first_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with ThreadPoolExecutor(4) as pool:
        rings = list(pool.map(lambda _: load_ed25519_ring(keys), range(4)))
    assert len({ring.current.kid for ring in rings}) == 1
    assert len(list(keys.glob("*.pem"))) == 1


def test_a_remembered_token_is_refused_once_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    c = codec(ttl=60, leeway=0)
    token = issue(c)
    assert c.verify(token).user_id == "usr_1"
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(TokenExpiredError):
        c.verify(token)


def test_a_remembered_token_signed_with_a_retired_key_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    old_ring = load_ed25519_ring(keys)
    c = codec(old_ring)
    old_token = issue(c)
    assert c.verify(old_token).user_id == "usr_1"
    rotate_ed25519_key(keys)
    (keys / f"{old_ring.current.kid}.pem").unlink()
    c.ring = load_ed25519_ring(keys)
    with pytest.raises(InvalidTokenError, match="unknown or retired key"):
        c.verify(old_token)


def test_a_remembered_token_is_not_trusted_for_altered_bytes() -> None:
    c = codec()
    token = issue(c)
    c.verify(token)
    head, payload, signature = token.split(".")
    with pytest.raises(InvalidTokenError):
        c.verify(f"{head}.{payload}.{signature[:-2]}AA")
