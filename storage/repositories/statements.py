"""Statements every incoming message runs, built once (plain Core, compiled once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import (
    BindingStatus,
    ChatBinding,
    ChatMenu,
    ChatState,
    FormSession,
    InboundKey,
    InboundKeyState,
    Member,
    ReportPeriod,
    Unit,
    table_of,
)

# ---- statements every incoming message runs, built once -------------------------------------
# Building a select (operators, coercions, cache key) cost more CPU than SQLite takes to run
# it, and loading ORM entities more again; these are plain Core statements over the tables,
# compiled once by SQLAlchemy's cache and answered as rows.
_units, _members = table_of(Unit), table_of(Member)
_bindings, _states = table_of(ChatBinding), table_of(ChatState)
_periods, _drafts = table_of(ReportPeriod), table_of(FormSession)

_chat = select(bindparam("channel", type_=String).label("channel"),
               bindparam("chat_id", type_=String).label("chat_id")).subquery("chat")
SPEAKER = (
    select(*(_members.c[name].label(f"m_{name}") for name in ("id", "name", "role", "preferred_channel")),
           *(_units.c[name].label(f"u_{name}") for name in ("id", "code", "name", "kind", "closed_on")),
           _states.c.flow, _states.c.data.label("flow_data"))
    .select_from(
        _chat.outerjoin(_states, and_(_states.c.channel == _chat.c.channel, _states.c.chat_id == _chat.c.chat_id))
        .outerjoin(_bindings, and_(_bindings.c.channel == _chat.c.channel, _bindings.c.chat_id == _chat.c.chat_id,
                                   _bindings.c.status == BindingStatus.ACTIVE))
        .outerjoin(_members, _members.c.id == _bindings.c.member_id)
        .outerjoin(_units, _units.c.id == _members.c.unit_id))
)
"""One row per chat, all parts optional: who speaks there (``m_``, ``u_``) and its flow state."""

_person = select(bindparam("channel", type_=String).label("channel"),
                 bindparam("chat_id", type_=String).label("chat_id"),
                 bindparam("state_key", type_=String).label("state_key"),
                 bindparam("person_id", type_=String).label("person_id")).subquery("person")
SPEAKER_BY_PERSON = (
    select(*(_members.c[name].label(f"m_{name}") for name in ("id", "name", "role", "preferred_channel")),
           *(_units.c[name].label(f"u_{name}") for name in ("id", "code", "name", "kind", "closed_on")),
           _states.c.flow, _states.c.data.label("flow_data"))
    .select_from(
        _person.outerjoin(_states, and_(_states.c.channel == _person.c.channel,
                                        _states.c.chat_id == _person.c.state_key))
        .outerjoin(_bindings, and_(_bindings.c.channel == _person.c.channel,
                                   _bindings.c.person_id == _person.c.person_id,
                                   _bindings.c.status == BindingStatus.ACTIVE))
        .outerjoin(_members, _members.c.id == _bindings.c.member_id)
        .outerjoin(_units, _units.c.id == _members.c.unit_id))
    # The person's binding of this very chat first (they bound the group), then their own
    # private chat, then any other chat of theirs on this channel.
    .order_by((_bindings.c.chat_id != _person.c.chat_id), (_bindings.c.chat_id != _person.c.person_id),
              _bindings.c.id)
    .limit(1)
)
"""The same row for one person speaking in a group chat: the member is found by the person's
own bindings (``person_id``), never by the group's; the flow state under ``state_key``."""

DRAFT = (
    select(*(c.label(f"d_{c.name}") for c in _drafts.c), *(c.label(f"p_{c.name}") for c in _periods.c),
           *(c.label(f"u_{c.name}") for c in _units.c))
    .join(_periods, _periods.c.id == _drafts.c.period_id)
    .join(_units, _units.c.id == _drafts.c.unit_id)
    .where(_drafts.c.id == bindparam("session_id"))
)
"""A draft with its period and unit; columns prefixed ``d_``, ``p_``, ``u_``."""

SAVE_DRAFT = (
    update(_drafts)
    .where(_drafts.c.id == bindparam("session_id"), _drafts.c.version == bindparam("expected_version"))
    .values(version=_drafts.c.version + 1)
)
"""Executed with the draft's new column values as parameters (the SET clause follows them);
matches no row when the draft moved past ``expected_version`` since it was read."""

_menus, _keys = table_of(ChatMenu), table_of(InboundKey)

MENU = select(_menus.c.choices, _menus.c.numbered).where(
    _menus.c.channel == bindparam("m_channel"), _menus.c.chat_id == bindparam("m_chat_id"),
    _menus.c.shown_at >= bindparam("since"))
"""The menu on screen in a chat, if shown since ``since`` (read on every typed message)."""


def _show_menu(insert: Any) -> Any:
    stmt = insert(_menus).values(channel=bindparam("m_channel"), chat_id=bindparam("m_chat_id"),
                                 choices=bindparam("m_choices"), numbered=bindparam("m_numbered"),
                                 shown_at=bindparam("now"))
    return stmt.on_conflict_do_update(
        index_elements=[_menus.c.channel, _menus.c.chat_id],
        set_={"choices": stmt.excluded.choices, "numbered": stmt.excluded.numbered,
              "shown_at": stmt.excluded.shown_at})


def _begin_key(insert: Any) -> Any:
    """Claim a key in one statement: insert it, or take over an ``in_progress`` mark (its attempt died).

    A row comes back (its attempt number) exactly when the caller should handle the message."""
    stmt = insert(_keys).values(key=bindparam("k"), state=InboundKeyState.IN_PROGRESS, attempts=1,
                                seen_at=bindparam("now"))
    return stmt.on_conflict_do_update(
        index_elements=[_keys.c.key],
        set_={"attempts": _keys.c.attempts + 1, "seen_at": stmt.excluded.seen_at},
        where=_keys.c.state == InboundKeyState.IN_PROGRESS,
    ).returning(_keys.c.attempts)


# Both dialects speak ``INSERT … ON CONFLICT``, each through its own construct.
SHOW_MENU = {"postgresql": _show_menu(pg_insert), "sqlite": _show_menu(sqlite_insert)}
BEGIN_KEY = {"postgresql": _begin_key(pg_insert), "sqlite": _begin_key(sqlite_insert)}
FINISH_KEY = (update(_keys).where(_keys.c.key == bindparam("k"))
              .values(state=InboundKeyState.DONE, seen_at=bindparam("now")))
