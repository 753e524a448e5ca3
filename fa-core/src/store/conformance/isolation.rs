use chrono::Duration;
use serde_json::json;

use crate::vault::MasterKey;
use crate::*;

use super::Fixture;

/// Ids of one member's data of every kind.
struct Footprint {
    member: Member,
    conversation: ConversationId,
    habit: HabitId,
    note: NoteId,
    integration: IntegrationId,
    event: InboundEventId,
    notification: NotificationId,
}

async fn leave_footprint(f: &Fixture, member: &Member) -> Footprint {
    let s = member.scope();
    let store = &f.store;
    let conversation = store.conversation(s, "telegram", "1").await.unwrap().id;
    store
        .append_message(
            s,
            conversation,
            NewMessage::new(MessageRole::User, "secret plans"),
        )
        .await
        .unwrap();
    let note = store.save_note(s, "PIN hint: birthday").await.unwrap().id;
    let habit = store
        .create_habit(s, NewHabit::new("Run"))
        .await
        .unwrap()
        .id;
    store
        .log_habit(s, habit, super::start(), None)
        .await
        .unwrap();
    store
        .record_check_in(s, Mood::new(2).unwrap(), vec![])
        .await
        .unwrap();
    let integration = store
        .create_integration(s, NewIntegration::new("google_calendar", "Private"))
        .await
        .unwrap()
        .id;
    Vault::new(MasterKey::from_bytes([4; 32]))
        .store_credential(&**store, s, integration, &Secret::new("token"))
        .await
        .unwrap();
    store
        .link_identity(s, &ChannelIdentity::new("console", member.id.to_string()))
        .await
        .unwrap();
    let household = member.household_id;
    let event = store
        .record_event(
            household,
            NewInboundEvent::new(
                "amazon_sqs",
                member.id.to_string(),
                "ORDER_CHANGE",
                json!({}),
            ),
        )
        .await
        .unwrap()
        .event()
        .id;
    let notification = store
        .enqueue_notification(
            s,
            NewNotification::new("telegram", member.id.to_string(), "hi"),
        )
        .await
        .unwrap()
        .id;
    store
        .record_delivery(household, notification, DeliveryAttempt::sent(None))
        .await
        .unwrap();
    store
        .append_audit(household, NewAuditEntry::new(Some(member.id), "test"))
        .await
        .unwrap();
    Footprint {
        member: member.clone(),
        conversation,
        habit,
        note,
        integration,
        event,
        notification,
    }
}

/// Every member-level read through `scope` that could reveal `of`'s data comes back empty.
async fn assert_scope_sees_none(f: &Fixture, scope: MemberScope, of: &Footprint) {
    let store = &f.store;
    let (from, to) = (
        super::start() - Duration::days(1),
        super::start() + Duration::days(1),
    );
    if let Some(member) = store.member(scope).await.unwrap() {
        assert_ne!(member.id, of.member.id);
    }
    assert!(
        store
            .recent_messages(scope, of.conversation, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .notes(scope, None)
            .await
            .unwrap()
            .iter()
            .all(|n| n.id != of.note)
    );
    assert!(!store.delete_note(scope, of.note).await.unwrap());
    assert!(
        store
            .habits(scope)
            .await
            .unwrap()
            .iter()
            .all(|h| h.id != of.habit)
    );
    assert!(
        store
            .habit_logs(scope, of.habit, from, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .set_habit_archived(scope, of.habit, true)
            .await
            .unwrap()
    );
    assert!(
        store
            .check_ins(scope, from, to)
            .await
            .unwrap()
            .iter()
            .all(|c| c.member_id != of.member.id)
    );
    assert!(
        store
            .integration(scope, of.integration)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .integrations(scope)
            .await
            .unwrap()
            .iter()
            .all(|i| i.id != of.integration)
    );
    assert!(
        store
            .credential(scope, of.integration)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .set_integration_status(scope, of.integration, IntegrationStatus::Paused)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_integration(scope, of.integration)
            .await
            .unwrap()
    );
    assert!(
        store
            .identities(scope)
            .await
            .unwrap()
            .iter()
            .all(|i| i.external_id != of.member.id.to_string())
    );
}

pub async fn another_household_sees_nothing(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let (away, stranger) = f.household("Away").await;
    let mine = leave_footprint(&f, &owner).await;
    let store = &f.store;

    // The stranger's own scope, and a forged one pairing the owner's id with the stranger's
    // household: neither reaches the owner's rows.
    for scope in [stranger.scope(), MemberScope::new(away.id, owner.id)] {
        assert_scope_sees_none(&f, scope, &mine).await;
    }
    // Household-level reads with the other household's id.
    assert!(
        store
            .member(MemberScope::new(away.id, owner.id))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.members(away.id).await.unwrap(),
        vec![stranger.clone()]
    );
    assert!(store.event(away.id, mine.event).await.unwrap().is_none());
    assert!(
        store
            .unprocessed_events(away.id, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .mark_event_processed(away.id, mine.event)
            .await
            .unwrap()
    );
    assert!(
        store
            .notification(away.id, mine.notification)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .due_notifications(away.id, super::start() + Duration::days(365), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .delivery_receipts(away.id, mine.notification)
            .await
            .unwrap()
            .is_empty()
    );
    let err = store
        .record_delivery(away.id, mine.notification, DeliveryAttempt::sent(None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(store.audit_log(away.id, 100).await.unwrap().is_empty());
    assert!(store.sealed_credentials(away.id).await.unwrap().is_empty());

    // And the owner's data is all still there.
    assert_eq!(
        store
            .recent_messages(owner.scope(), mine.conversation, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .credential(owner.scope(), mine.integration)
            .await
            .unwrap()
            .is_some()
    );
    assert!(!store.habits(owner.scope()).await.unwrap()[0].archived);
    assert_eq!(
        store.unprocessed_events(home.id, 10).await.unwrap().len(),
        1
    );
    assert_eq!(store.audit_log(home.id, 10).await.unwrap().len(), 1);
}

pub async fn forged_scopes_cannot_write(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let (away, _) = f.household("Away").await;
    let mine = leave_footprint(&f, &owner).await;
    let forged = MemberScope::new(away.id, owner.id);
    let store = &f.store;
    let not_found = |r: Result<()>| assert_eq!(r.unwrap_err().kind(), ErrorKind::NotFound);
    not_found(
        store
            .append_message(
                forged,
                mine.conversation,
                NewMessage::new(MessageRole::User, "x"),
            )
            .await
            .map(drop),
    );
    not_found(
        store
            .log_habit(forged, mine.habit, super::start(), None)
            .await
            .map(drop),
    );
    let sealed = Vault::new(MasterKey::from_bytes([4; 32]))
        .seal(forged, mine.integration, &Secret::new("x"))
        .unwrap();
    not_found(
        store
            .put_credential(forged, mine.integration, &sealed)
            .await,
    );
    not_found(store.save_note(forged, "x").await.map(drop));
    not_found(store.conversation(forged, "telegram", "2").await.map(drop));
    not_found(
        store
            .enqueue_notification(forged, NewNotification::new("telegram", "k", "x"))
            .await
            .map(drop),
    );
    // Nothing landed in the owner's data.
    let s = owner.scope();
    assert_eq!(
        store
            .recent_messages(s, mine.conversation, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.notes(s, None).await.unwrap().len(), 1);
    let (from, to) = (
        super::start() - Duration::days(1),
        super::start() + Duration::days(1),
    );
    assert_eq!(
        store
            .habit_logs(s, mine.habit, from, to)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn idempotency_keys_are_per_member(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let key = "order:902-3159896";
    let owners = f
        .store
        .enqueue_notification(
            owner.scope(),
            NewNotification::new("telegram", key, "owner's text"),
        )
        .await
        .unwrap();
    // The same key for another member is that member's own notification, never the owner's.
    let partners = f
        .store
        .enqueue_notification(
            partner.scope(),
            NewNotification::new("telegram", key, "partner's text"),
        )
        .await
        .unwrap();
    assert_ne!(partners.id, owners.id);
    assert_eq!(partners.member_id, partner.id);
    assert_eq!(partners.body, "partner's text");
    let again = f
        .store
        .enqueue_notification(
            owner.scope(),
            NewNotification::new("telegram", key, "other"),
        )
        .await
        .unwrap();
    assert_eq!(again, owners);
}

pub async fn another_member_sees_nothing_personal(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let mine = leave_footprint(&f, &owner).await;
    assert_scope_sees_none(&f, partner.scope(), &mine).await;
    assert!(
        f.store
            .notes(owner.scope(), None)
            .await
            .unwrap()
            .iter()
            .any(|n| n.id == mine.note)
    );
}

pub async fn removing_a_member_removes_their_data(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let theirs = leave_footprint(&f, &partner).await;
    let mine = leave_footprint(&f, &owner).await;
    assert!(f.store.remove_member(partner.scope()).await.unwrap());
    let store = &f.store;
    assert!(
        store
            .recent_messages(partner.scope(), theirs.conversation, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.notes(partner.scope(), None).await.unwrap().is_empty());
    assert!(store.habits(partner.scope()).await.unwrap().is_empty());
    assert!(
        store
            .integrations(partner.scope())
            .await
            .unwrap()
            .is_empty()
    );
    let (from, to) = (
        super::start() - Duration::days(1),
        super::start() + Duration::days(1),
    );
    assert!(
        store
            .check_ins(partner.scope(), from, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .habit_logs(partner.scope(), theirs.habit, from, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .conversation(partner.scope(), "telegram", "1")
            .await
            .is_err()
    );
    assert!(
        store
            .notification(home.id, theirs.notification)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .delivery_receipts(home.id, theirs.notification)
            .await
            .unwrap()
            .is_empty()
    );
    let creds = store.sealed_credentials(home.id).await.unwrap();
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].member_id, owner.id);
    assert!(
        store
            .member_by_identity(&ChannelIdentity::new("console", partner.id.to_string()))
            .await
            .unwrap()
            .is_none()
    );
    // The owner keeps everything.
    assert_eq!(
        store
            .recent_messages(owner.scope(), mine.conversation, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.notes(owner.scope(), None).await.unwrap().len(), 1);
}
