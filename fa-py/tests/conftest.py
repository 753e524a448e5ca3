"""Fixtures: a store on every backend (SQLite file, SQLite in memory, PostgreSQL when
``FA_TEST_POSTGRES_URL`` is set — required when ``FA_TEST_REQUIRE_POSTGRES=1``), a household with
two members, and a manual clock."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, List

import pytest

from family_assistant import ManualClock, Member, Role, Store

START = datetime(2026, 3, 27, 8, 0, tzinfo=timezone.utc)


def _backends() -> List[str]:
    backends = ["sqlite", "memory"]
    if os.environ.get("FA_TEST_POSTGRES_URL"):
        backends.append("postgres")
    elif os.environ.get("FA_TEST_REQUIRE_POSTGRES") == "1":
        raise RuntimeError("FA_TEST_REQUIRE_POSTGRES=1 but FA_TEST_POSTGRES_URL is not set")
    return backends


@pytest.fixture(params=_backends())
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    backend = request.param
    if backend == "sqlite":
        return f"sqlite:{tmp_path / 'family.db'}"
    if backend == "memory":
        return "sqlite::memory:"
    return os.environ["FA_TEST_POSTGRES_URL"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def store(store_url: str, clock: ManualClock) -> AsyncIterator[Store]:
    # Each PostgreSQL test gets a schema of its own: runners and outboxes see only its rows.
    schema = f"py_{uuid.uuid4().hex[:16]}" if store_url.startswith("postgres") else None
    async with await Store.open(store_url, clock=clock, master_key=MASTER_KEY, schema=schema) as store:
        yield store


@pytest.fixture
async def ana(store: Store) -> Member:
    home = await store.create_household("Home")
    return await store.add_member(home, "Ana", Role.OWNER, timezone="Europe/Berlin")


@pytest.fixture
async def ben(store: Store, ana: Member) -> Member:
    return await store.add_member(ana.household_id, "Ben", Role.CHILD, timezone="Europe/Berlin")


# 32 bytes of test key material, base64 (never a real key).
MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
