"""The store from Python, on every backend: every operation, and that one member never sees
another's data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pathlib import Path

from conftest import MASTER_KEY, START
from family_assistant import (
    Conflict, DeliveryStatus, Household, IntegrationStatus, InvalidInput, Member, MessageRole,
    NotFound, Role, Store, generate_master_key,
)


async def test_households_and_members_round_trip(store: Store, ana: Member) -> None:
    home = await store.household(ana.household_id)
    assert isinstance(home, Household) and home.name == "Home"
    assert ana.household_id in await store.household_ids()
    assert ana.role is Role.OWNER and ana.timezone == "Europe/Berlin" and ana.locale == "en"
    assert ana.created_at.tzinfo is not None
    assert await store.member(home, ana.id) == ana
    ben = await store.add_member(home, "Ben", "child", locale="de-AT")
    assert [m.display_name for m in await store.members(home)] == ["Ana", "Ben"]
    ben = await store.update_member(ben, name="Benjamin", role=Role.ADULT, timezone="Asia/Tokyo")
    assert (ben.display_name, ben.role, ben.timezone, ben.locale) == (
        "Benjamin", Role.ADULT, "Asia/Tokyo", "de-AT",
    )
    assert await store.member(home, ben.id) == ben
    assert await store.remove_member(ben) is True
    assert await store.member(home, ben.id) is None
    with pytest.raises(NotFound, match="member"):
        await store.update_member(ben, name="gone")


async def test_records_are_frozen_compare_by_value_and_print_their_fields(store: Store, ana: Member) -> None:
    again = await store.member(ana.household_id, ana.id)
    assert again == ana and again is not ana
    assert "display_name='Ana'" in repr(ana)
    with pytest.raises(AttributeError):
        ana.display_name = "Eve"  # type: ignore[misc]


async def test_bad_input_raises_invalid_input_naming_the_field(store: Store) -> None:
    home = await store.create_household("Home")
    with pytest.raises(InvalidInput, match="timezone") as raised:
        await store.add_member(home, "Ana", Role.OWNER, timezone="Mars/Olympus")
    assert "Europe/Berlin" in str(raised.value)
    assert isinstance(raised.value, ValueError)
    with pytest.raises(InvalidInput, match="role"):
        await store.add_member(home, "Ana", "queen")
    with pytest.raises(InvalidInput, match="HouseholdId"):
        await store.members("not-a-uuid")
    assert await store.members(home) == []


async def test_identities_link_once_and_find_their_member(store: Store, ana: Member, ben: Member) -> None:
    await store.link_identity(ana, "telegram", "42")
    assert [(i.channel, i.external_id) for i in await store.identities(ana)] == [("telegram", "42")]
    assert await store.member_by_identity("telegram", "42") == ana
    with pytest.raises(Conflict):
        await store.link_identity(ben, "telegram", "42")
    assert await store.unlink_identity(ana, "telegram", "42") is True
    assert await store.member_by_identity("telegram", "42") is None
    assert await store.unreachable_identities(ana.household_id) == []


async def test_an_invite_is_accepted_once_with_its_role(store: Store, ana: Member) -> None:
    code, invite = await store.create_invite(ana, Role.CHILD, START + timedelta(days=1))
    assert len(code) >= 16 and invite.role is Role.CHILD and invite.used_at is None
    joined = await store.accept_invite(code, "Cleo", "telegram", "7", timezone="Europe/Berlin")
    assert joined is not None and joined.role is Role.CHILD and joined.household_id == ana.household_id
    assert await store.accept_invite(code, "Mallory", "telegram", "8") is None
    (used,) = await store.invites(ana.household_id)
    assert used.used_by == joined.id


async def test_conversations_keep_messages_in_order(store: Store, ana: Member) -> None:
    chat = await store.conversation(ana, "python", "main")
    assert await store.conversation(ana, "python", "main") == chat
    await store.append_message(ana, chat, MessageRole.USER, "hello", {"source": "test"})
    await store.append_message(ana, chat, "assistant", "hi Ana")
    messages = await store.recent_messages(ana, chat, 10)
    assert [(m.role, m.content) for m in messages] == [
        (MessageRole.USER, "hello"), (MessageRole.ASSISTANT, "hi Ana"),
    ]
    assert messages[0].metadata == {"source": "test"}
    assert await store.conversations(ana) == [chat]
    assert await store.conversation_summary(ana, chat) is None


async def test_notes_are_found_deleted_and_forgotten(store: Store, ana: Member) -> None:
    note = await store.save_note(ana, "Ana is allergic to peanuts")
    await store.save_note(ana, "Ana's bike is blue")
    assert [n.content for n in await store.notes(ana, "PEANUT")] == [note.content]
    assert await store.delete_note(ana, note) is True
    chat = await store.conversation(ana, "python", "main")
    await store.append_message(ana, chat, "user", "remember this")
    forgotten = await store.forget_memory(ana)
    assert (forgotten.notes, forgotten.messages) == (1, 1)
    assert await store.notes(ana) == []


async def test_habits_logs_and_check_ins(store: Store, ana: Member) -> None:
    habit = await store.create_habit(ana, "Stretch", target_per_week=5)
    log = await store.log_habit(ana, habit, note="10 minutes")
    assert log.done_at == START and log.note == "10 minutes"
    logs = await store.habit_logs(ana, habit, START - timedelta(days=1), START + timedelta(days=1))
    assert logs == [log]
    assert await store.set_habit_archived(ana, habit) is True
    assert (await store.habits(ana))[0].archived is True
    check_in = await store.record_check_in(ana, 4, [("How did you sleep?", "well")])
    assert check_in.mood == 4 and check_in.answers[0].answer == "well"
    found = await store.check_ins(ana, START - timedelta(hours=1), START + timedelta(hours=1))
    assert found == [check_in]
    with pytest.raises(InvalidInput, match="mood"):
        await store.record_check_in(ana, 9)


async def test_integration_credentials_are_sealed_and_opened(store: Store, ana: Member) -> None:
    integration = await store.create_integration(ana, "caldav", "Family calendar", {"url": "http://x"})
    assert integration.status is IntegrationStatus.ACTIVE and integration.settings == {"url": "http://x"}
    await store.store_credential(ana, integration, "app-password")
    assert await store.load_credential(ana, integration) == "app-password"
    assert await store.integration(ana, integration.id) == integration
    assert await store.set_integration_status(ana, integration, IntegrationStatus.REVOKED) is True
    assert await store.load_credential(ana, integration) is None
    assert await store.delete_integration(ana, integration) is True
    assert await store.integrations(ana) == []


async def test_events_are_recorded_once_per_key(store: Store, ana: Member) -> None:
    first = await store.record_event(ana.household_id, "amazon", "n-1", "ORDER_CHANGE", {"id": 1})
    again = await store.record_event(ana.household_id, "amazon", "n-1", "ORDER_CHANGE", {"id": 1})
    assert first.new and not again.new and again.event.id == first.event.id
    assert await store.unprocessed_events(ana.household_id) == [first.event]
    assert await store.mark_event_processed(ana.household_id, first.event) is True
    assert await store.unprocessed_events(ana.household_id) == []
    stored = await store.event(ana.household_id, first.event.id)
    assert stored is not None and stored.processed_at is not None


async def test_notifications_audit_and_profiles(store: Store, ana: Member) -> None:
    note = await store.enqueue_notification(ana, "telegram", "key-1", "Dinner at 7")
    assert note.status is DeliveryStatus.QUEUED
    assert await store.enqueue_notification(ana, "telegram", "key-1", "other") == note
    assert await store.notification(ana.household_id, note.id) == note
    assert await store.delivery_receipts(ana.household_id, note.id) == []
    entry = await store.append_audit(ana.household_id, "member.invited", actor=ana, detail={"n": 1})
    assert (await store.audit_log(ana.household_id, 10))[0] == entry
    profile = await store.save_profile(
        ana.household_id, "chef", "You plan meals.", tools=["current_time"], temperature=0.3
    )
    assert await store.profile(ana.household_id, "chef") == profile
    assert [p.name for p in await store.profiles(ana.household_id)] == ["chef"]
    assert await store.delete_profile(ana.household_id, "chef") is True
    await store.set_tool_confirmation(ana, "set_reminder", False)
    assert await store.tools_without_confirmation(ana) == ["set_reminder"]
    assert await store.open_pending_actions(ana) == []


async def test_export_holds_the_members_data(store: Store, ana: Member) -> None:
    await store.save_note(ana, "likes tea")
    export = await store.export_member(ana)
    assert export["member"]["display_name"] == "Ana"
    assert [n["content"] for n in export["notes"]] == ["likes tea"]


async def test_a_member_sees_nothing_of_another_member(store: Store, ana: Member, ben: Member) -> None:
    await store.save_note(ana, "secret plan")
    habit = await store.create_habit(ana, "Run")
    assert await store.notes(ben) == []
    assert await store.habits(ben) == []
    assert await store.delete_note(ben, (await store.notes(ana))[0]) is False
    with pytest.raises(NotFound):
        await store.log_habit(ben, habit)
    other = await store.create_household("Elsewhere")
    assert await store.member(other, ana.id) is None


async def test_status_names_the_backend(store: Store, store_url: str) -> None:
    status = await store.status()
    assert status.backend == ("postgres" if store_url.startswith("postgres") else "sqlite")
    assert status.schema_version >= 4


async def test_reachability_batches_summaries_and_pending_actions(store: Store, ana: Member) -> None:
    await store.link_identity(ana, "telegram", "42")
    assert await store.set_identity_reachable("telegram", "42", False) == ana
    (gone,) = await store.unreachable_identities(ana.household_id)
    assert gone.member_id == ana.id and gone.identity.external_id == "42" and gone.since == START
    assert await store.set_identity_reachable("telegram", "42", True) == ana
    assert await store.unreachable_identities(ana.household_id) == []
    assert await store.set_identity_reachable("telegram", "nobody", False) is None

    chat = await store.conversation(ana, "python", "main")
    first, second = await store.append_messages(ana, chat, [("user", "hi"), (MessageRole.ASSISTANT, "hello")])
    assert (first.content, second.role) == ("hi", MessageRole.ASSISTANT)
    summary = await store.save_conversation_summary(ana, chat, "Ana said hi.", second)
    assert await store.conversation_summary(ana, chat) == summary

    action = await store.create_pending_action(
        ana, "order_pizza", {"size": "large"}, "Order a large pizza", START + timedelta(minutes=15), chat
    )
    confirmed = await store.resolve_pending_action(ana, action, True)
    assert confirmed.state.value == "confirmed" and confirmed.resolved_at == START
    with pytest.raises(Conflict):
        await store.resolve_pending_action(ana, action, False)


async def test_a_delivery_loop_of_ones_own(store: Store, ana: Member) -> None:
    note = await store.enqueue_notification(ana, "sms", "k-1", "Pick up Ben at 4")
    (due,) = await store.due_notifications(ana.household_id)
    assert due == note
    receipt = await store.record_delivery(ana.household_id, due, DeliveryStatus.SENT, detail="sms-77")
    assert receipt.status is DeliveryStatus.SENT and receipt.attempt == 1
    assert await store.due_notifications(ana.household_id) == []
    with pytest.raises(InvalidInput, match="sent, retrying"):
        await store.record_delivery(ana.household_id, due, "queued")


async def test_credentials_are_re_sealed_under_a_new_master_key(tmp_path: Path) -> None:
    old, new = MASTER_KEY, generate_master_key()
    assert len(new) == 44 and new != old
    url = f"sqlite:{tmp_path / 'keys.db'}"
    store = await Store.open(url, master_key=old)
    home = await store.create_household("Home")
    ana = await store.add_member(home, "Ana", "owner")
    integration = await store.create_integration(ana, "google", "Calendar")
    await store.store_credential(ana, integration, "refresh-token")
    rotating = await Store.open(url, master_key=new, previous_keys=[old])
    report = await rotating.rotate_credentials()
    assert (report.rotated, report.already_current, report.failed) == (1, 0, [])
    after = await Store.open(url, master_key=new)
    assert await after.load_credential(ana, integration) == "refresh-token"
    with pytest.raises(InvalidInput, match="previous keys need"):
        await Store.open(url, previous_keys=[old])
