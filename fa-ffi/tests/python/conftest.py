"""Tests of the *generated* Python bindings of fa-ffi (UniFFI), the cheapest end-to-end check of
the FFI layer itself. `scripts/bindings` writes the package; FA_FFI_BINDINGS names its
directory (default: target/bindings/python of this repository)."""

import os
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[3]
BINDINGS = Path(os.environ.get("FA_FFI_BINDINGS", ROOT / "target" / "bindings" / "python"))
if not (BINDINGS / "fa_uniffi" / "fa_ffi.py").exists():
    raise RuntimeError(f"no generated bindings in {BINDINGS}: run scripts/bindings first")
sys.path.insert(0, str(BINDINGS))

from fa_uniffi import fa_core, fa_ffi  # noqa: E402

START = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    kind = request.param
    if kind == "postgres":
        url = os.environ.get("FA_TEST_POSTGRES_URL")
        if not url:
            if os.environ.get("FA_TEST_REQUIRE_POSTGRES") == "1":
                pytest.fail("FA_TEST_REQUIRE_POSTGRES=1 but FA_TEST_POSTGRES_URL is not set")
            pytest.skip("FA_TEST_POSTGRES_URL is not set")
        yield url
    elif kind == "sqlite-file":
        yield f"sqlite:{tmp_path / 'fa.db'}"
    else:
        yield "sqlite::memory:"


async def open_test_store(url: str = "sqlite::memory:", clock: "fa_ffi.ManualClock | None" = None):
    """A store with a manual clock and a fresh master key; on PostgreSQL in a schema of its own."""
    schema = f"py_{uuid.uuid4().hex[:16]}" if url.startswith("postgres") else None
    settings = fa_ffi.StoreSettings(schema=schema, master_key=fa_ffi.SecretText(fa_ffi.generate_master_key()))
    return await fa_ffi.open_store(url, settings, clock or fa_ffi.ManualClock(START))


async def family(store, name: str = "Millers", owner: str = "Ann"):
    household = await store.create_household(name)
    return await store.add_member(
        household.id, fa_core.NewMember(display_name=owner, role=fa_core.Role.OWNER, timezone="Europe/Berlin", locale="en-GB")
    )


def scope(member) -> "fa_core.MemberScope":
    return fa_core.MemberScope(household=member.household_id, member=member.id)
