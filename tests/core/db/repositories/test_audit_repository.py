"""Audit log append and filtered listing."""

from __future__ import annotations

from datetime import timedelta

from core.db.repositories import audit
from core.db.types import utc_now


def test_entries_list_newest_first_with_filters(session):
    audit.append_audit(session, actor="alice", action="series.create", target="series/1")
    audit.append_audit(
        session, actor="bob", action="key.revoke", details={"key": 3}, request_id="r-9"
    )
    audit.append_audit(session, actor="alice", action="key.revoke")
    session.commit()
    everything = audit.list_audit(session)
    assert [entry.actor for entry in everything.items] == ["alice", "bob", "alice"]
    assert everything.items[1].details == {"key": 3}
    assert audit.list_audit(session, actor="alice", action="key.revoke").total == 1
    assert audit.list_audit(session, since=utc_now() + timedelta(minutes=1)).total == 0
