"""API keys: stored hashed, verified, revoked, scoped."""

from __future__ import annotations

import pytest

from core.db.errors import RecordNotFoundError
from core.db.repositories import api_keys

SECRET = "test-secret-key"


def test_plaintext_is_not_stored_and_verifies(session):
    key, plaintext = api_keys.create_api_key(
        session, name="ci", scopes=["forecast:read", "series:write"], secret_key=SECRET
    )
    session.commit()
    assert plaintext.startswith(key.prefix + "_")
    assert plaintext not in (key.hash, key.prefix)
    verified = api_keys.verify_api_key(session, plaintext, SECRET)
    assert verified is not None and verified.id == key.id
    assert verified.last_used_at is not None
    assert verified.has_scope("forecast:read") and not verified.has_scope("admin")


@pytest.mark.parametrize(
    "mangle", [lambda k: k + "x", lambda k: k[:-1], lambda k: "nonsense", lambda k: ""]
)
def test_wrong_or_malformed_keys_do_not_verify(session, mangle):
    _, plaintext = api_keys.create_api_key(session, name="ci", scopes=[], secret_key=SECRET)
    assert api_keys.verify_api_key(session, mangle(plaintext), SECRET) is None


def test_key_does_not_verify_under_another_secret(session):
    _, plaintext = api_keys.create_api_key(session, name="ci", scopes=[], secret_key=SECRET)
    assert api_keys.verify_api_key(session, plaintext, "rotated-secret") is None


def test_revoked_key_no_longer_verifies(session):
    key, plaintext = api_keys.create_api_key(session, name="ci", scopes=[], secret_key=SECRET)
    revoked = api_keys.revoke_api_key(session, key.id)
    first_revocation = revoked.revoked_at
    assert api_keys.revoke_api_key(session, key.id).revoked_at == first_revocation
    assert api_keys.verify_api_key(session, plaintext, SECRET) is None
    assert api_keys.list_api_keys(session) == []
    assert [k.id for k in api_keys.list_api_keys(session, include_revoked=True)] == [key.id]
    with pytest.raises(RecordNotFoundError):
        api_keys.revoke_api_key(session, key.id + 100)


def test_scopes_can_be_replaced_and_must_not_be_blank(session):
    key, _ = api_keys.create_api_key(session, name="ci", scopes=["a"], secret_key=SECRET)
    assert api_keys.set_api_key_scopes(session, key.id, ["c", "b", "c"]).scopes == ["b", "c"]
    with pytest.raises(ValueError, match="non-empty"):
        api_keys.set_api_key_scopes(session, key.id, [""])


def test_touch_records_the_use_without_loading_the_key(session):
    key, _ = api_keys.create_api_key(session, name="ci", scopes=[], secret_key=SECRET)
    session.commit()
    assert key.last_used_at is None
    api_keys.touch_api_key(session, key.id)
    session.commit()
    session.refresh(key)
    assert key.last_used_at is not None


def test_a_key_may_be_limited_to_datasets_that_exist(session):
    from core.datasets import DatasetConfig
    from core.db.repositories.datasets import create_dataset

    create_dataset(session, DatasetConfig(name="web"))
    _key, plaintext = api_keys.create_api_key(
        session, name="ci", scopes=["read"], secret_key=SECRET, datasets=["web", "default", "web"]
    )
    session.commit()
    session.expire_all()
    assert api_keys.verify_api_key(session, plaintext, SECRET).datasets == ["default", "web"]
    unlimited, _ = api_keys.create_api_key(session, name="all", scopes=["read"], secret_key=SECRET)
    assert unlimited.datasets is None
    with pytest.raises(RecordNotFoundError, match="nope"):
        api_keys.create_api_key(
            session, name="x", scopes=["read"], secret_key=SECRET, datasets=["web", "nope"]
        )
    with pytest.raises(ValueError, match="at least one"):
        api_keys.create_api_key(session, name="x", scopes=["read"], secret_key=SECRET, datasets=[])


def test_an_admin_key_cannot_be_limited_to_datasets(session):
    with pytest.raises(ValueError, match="admin"):
        api_keys.create_api_key(
            session, name="x", scopes=["admin"], secret_key=SECRET, datasets=["default"]
        )
    key, _ = api_keys.create_api_key(
        session, name="x", scopes=["write"], secret_key=SECRET, datasets=["default"]
    )
    with pytest.raises(ValueError, match="admin"):
        api_keys.set_api_key_scopes(session, key.id, ["admin"])
    assert api_keys.set_api_key_scopes(session, key.id, ["read"]).scopes == ["read"]
