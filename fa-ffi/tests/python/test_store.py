"""The store through the generated bindings, on SQLite (file and memory) and PostgreSQL."""

from datetime import timedelta

import pytest

from conftest import START, family, open_test_store, scope
from fa_uniffi import fa_core, fa_ffi


async def test_households_members_and_their_data(store_url: str) -> None:
    store = await open_test_store(store_url)
    status = await store.status()
    assert status.backend == ("postgres" if store_url.startswith("postgres") else "sqlite")
    ann = await family(store)
    assert ann.created_at == START and ann.timezone == "Europe/Berlin"
    assert [h for h in await store.household_ids() if h == ann.household_id] == [ann.household_id]

    note = await store.save_note(scope(ann), "likes tea")
    assert [n.content for n in await store.notes(scope(ann), "tea")] == ["likes tea"]
    assert await store.delete_note(scope(ann), note.id)
    habit = await store.create_habit(scope(ann), fa_core.NewHabit(name="walk", target_per_week=5))
    log = await store.log_habit(scope(ann), habit.id, START, "park")
    assert [l.id for l in await store.habit_logs(scope(ann), habit.id, START - timedelta(days=1), START + timedelta(days=1))] == [log.id]
    check_in = await store.record_check_in(scope(ann), 4, [fa_core.CheckInAnswer(question="Sleep?", answer="well")])
    assert check_in.mood == 4

    conversation = await store.conversation(scope(ann), "app", "main")
    await store.append_messages(
        scope(ann),
        conversation.id,
        [fa_core.NewMessage(role=fa_core.MessageRole.USER, content="hi", metadata=None),
         fa_core.NewMessage(role=fa_core.MessageRole.ASSISTANT, content="hello", metadata='{"model":"x"}')],
    )
    messages = await store.recent_messages(scope(ann), conversation.id, 10)
    assert [m.content for m in messages] == ["hi", "hello"]
    assert messages[1].metadata == '{"model":"x"}'
    forgotten = await store.forget_memory(scope(ann))
    assert forgotten.messages == 2


async def test_no_household_sees_another(store_url: str) -> None:
    store = await open_test_store(store_url)
    ann = await family(store, "Millers", "Ann")
    zoe = await family(store, "Smiths", "Zoe")
    await store.save_note(scope(ann), "Ann's secret")
    assert await store.member(fa_core.MemberScope(household=ann.household_id, member=zoe.id)) is None
    assert await store.notes(fa_core.MemberScope(household=zoe.household_id, member=ann.id), None) == []
    assert [m.display_name for m in await store.members(zoe.household_id)] == ["Zoe"]


async def test_events_notifications_and_audit_are_recorded_once(store_url: str) -> None:
    store = await open_test_store(store_url)
    ann = await family(store)
    event = fa_core.NewInboundEvent(source="amazon", idempotency_key="n-1", kind="ORDER_CHANGE", payload='{"order":"1"}')
    first = await store.record_event(ann.household_id, event)
    again = await store.record_event(ann.household_id, event)
    assert isinstance(first, fa_core.Recorded.NEW) and isinstance(again, fa_core.Recorded.DUPLICATE)
    assert again[0].id == first[0].id
    assert [e.kind for e in await store.unprocessed_events(ann.household_id, 10)] == ["ORDER_CHANGE"]

    queued = await store.enqueue_notification(
        scope(ann), fa_core.NewNotification(channel="app", idempotency_key="k1", body="Order shipped", not_before=None)
    )
    assert [n.id for n in await store.due_notifications(ann.household_id, START, 10)] == [queued.id]
    receipt = await store.record_delivery(
        ann.household_id, queued.id, fa_core.DeliveryAttempt(status=fa_core.DeliveryStatus.SENT, detail=None, retry_at=None)
    )
    assert (await store.delivery_receipts(ann.household_id, queued.id))[0].id == receipt.id
    await store.append_audit(ann.household_id, fa_core.NewAuditEntry(actor=ann.id, action="test", subject=None, detail="{}"))
    assert [a.action for a in await store.audit_log(ann.household_id, 5)] == ["test"]


async def test_invites_are_single_use_and_credentials_sealed(store_url: str) -> None:
    store = await open_test_store(store_url)
    ann = await family(store)
    code = await store.create_invite(scope(ann), fa_core.Role.GUEST, START + timedelta(days=1))
    guest = fa_core.NewMember(display_name="Gus", role=fa_core.Role.GUEST, timezone="UTC", locale="en")
    joined = await store.accept_invite(code, guest, fa_core.ChannelIdentity(channel="telegram", external_id="7"), START)
    assert joined is not None and joined.role == fa_core.Role.GUEST
    assert await store.accept_invite(code, guest, fa_core.ChannelIdentity(channel="telegram", external_id="8"), START) is None

    integration = await store.create_integration(scope(ann), fa_core.NewIntegration(kind="calendar", label="Home", settings="{}"))
    await store.store_credential(scope(ann), integration.id, "token-xyz")
    assert await store.load_credential(scope(ann), integration.id) == "token-xyz"


async def test_bad_input_is_refused_with_a_clear_error() -> None:
    store = await open_test_store()
    ann = await family(store)
    with pytest.raises(fa_core.FaError.InvalidInput, match="IANA"):
        await store.add_member(ann.household_id, fa_core.NewMember(display_name="B", role=fa_core.Role.ADULT, timezone="Nowhere/City", locale="en"))
    with pytest.raises(fa_core.FaError.InvalidInput):
        await store.record_check_in(scope(ann), 9, [])
    with pytest.raises(fa_core.FaError.InvalidInput, match="HouseholdId"):
        await store.members("not-a-uuid")
    with pytest.raises(fa_core.FaError.InvalidInput, match="sqlite:PATH"):
        await fa_ffi.open_store("redis://secret@host", fa_ffi.StoreSettings(), None)


def test_secrets_given_to_fa_never_show_in_printed_settings() -> None:
    key = fa_ffi.generate_master_key()
    settings = fa_ffi.StoreSettings(master_key=fa_ffi.SecretText(key), previous_keys=[fa_ffi.SecretText(key)])
    app = fa_ffi.AmazonAppSettings(client_id="amzn1.application-oa2-client.x", client_secret=fa_ffi.SecretText("client-secret-123"))
    queue = fa_ffi.SqsQueueSettings(
        queue_url="https://sqs.eu-west-1.amazonaws.com/1/q", region="eu-west-1", access_key_id="AKIA",
        secret_access_key=fa_ffi.SecretText("aws-secret-456"),
    )
    for printed, secret in ((settings, key), (app, "client-secret-123"), (queue, "aws-secret-456")):
        assert secret not in str(printed) and secret not in repr(printed)

