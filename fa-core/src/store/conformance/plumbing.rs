use chrono::Duration;
use serde_json::json;

use crate::vault::MasterKey;
use crate::*;

use super::Fixture;

pub async fn integrations_have_a_lifecycle(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let s = owner.scope();
    let settings = json!({"calendar_id": "family@group.calendar.google.com"});
    let cal = f
        .store
        .create_integration(
            s,
            NewIntegration::new("google_calendar", "Family").with_settings(settings.clone()),
        )
        .await
        .unwrap();
    assert_eq!(cal.status, IntegrationStatus::Active);
    assert_eq!(cal.settings, settings);
    assert_eq!(f.store.integration(s, cal.id).await.unwrap().unwrap(), cal);
    assert_eq!(f.store.integrations(s).await.unwrap(), vec![cal.clone()]);

    let vault = Vault::new(MasterKey::from_bytes([7; 32]));
    vault
        .store_credential(&*f.store, s, cal.id, &Secret::new("token"))
        .await
        .unwrap();
    f.clock.advance(Duration::minutes(1));
    assert!(
        f.store
            .set_integration_status(s, cal.id, IntegrationStatus::NeedsReauth)
            .await
            .unwrap()
    );
    let changed = f.store.integration(s, cal.id).await.unwrap().unwrap();
    assert_eq!(changed.status, IntegrationStatus::NeedsReauth);
    assert_eq!(changed.updated_at, super::start() + Duration::minutes(1));
    assert!(f.store.credential(s, cal.id).await.unwrap().is_some());
    // Revoking deletes the credential and keeps the integration row.
    assert!(
        f.store
            .set_integration_status(s, cal.id, IntegrationStatus::Revoked)
            .await
            .unwrap()
    );
    assert!(f.store.credential(s, cal.id).await.unwrap().is_none());
    assert!(f.store.delete_integration(s, cal.id).await.unwrap());
    assert!(f.store.integration(s, cal.id).await.unwrap().is_none());
    assert!(!f.store.delete_integration(s, cal.id).await.unwrap());
    let err = f
        .store
        .create_integration(s, NewIntegration::new(" ", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn credentials_are_stored_sealed_and_replaced_only_if_unchanged(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let s = owner.scope();
    let amazon = f
        .store
        .create_integration(s, NewIntegration::new("amazon_sp_api", "Shop"))
        .await
        .unwrap();
    let vault = Vault::new(MasterKey::from_bytes([1; 32]));
    let first = vault
        .seal(s, amazon.id, &Secret::new("Atzr|first"))
        .unwrap();
    f.store.put_credential(s, amazon.id, &first).await.unwrap();
    assert_eq!(
        f.store.credential(s, amazon.id).await.unwrap(),
        Some(first.clone())
    );
    let second = vault
        .seal(s, amazon.id, &Secret::new("Atzr|second"))
        .unwrap();
    f.store.put_credential(s, amazon.id, &second).await.unwrap();
    let loaded = vault
        .load_credential(&*f.store, s, amazon.id)
        .await
        .unwrap();
    assert_eq!(loaded.unwrap().expose(), "Atzr|second");

    let third = vault
        .seal(s, amazon.id, &Secret::new("Atzr|third"))
        .unwrap();
    assert!(
        !f.store
            .replace_credential(s, amazon.id, &first, &third)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.credential(s, amazon.id).await.unwrap(),
        Some(second.clone())
    );
    assert!(
        f.store
            .replace_credential(s, amazon.id, &second, &third)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.credential(s, amazon.id).await.unwrap(),
        Some(third.clone())
    );

    let listed = f.store.sealed_credentials(home.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].integration_id, amazon.id);
    assert_eq!(listed[0].member_id, owner.id);
    assert_eq!(listed[0].sealed, third);
    let err = f
        .store
        .put_credential(s, IntegrationId::new(), &third)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                what: "integration"
            }
        ),
        "{err:?}"
    );
}

pub async fn credentials_cannot_be_put_on_another_members_integration(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let cal = f
        .store
        .create_integration(owner.scope(), NewIntegration::new("caldav", "iCloud"))
        .await
        .unwrap();
    let vault = Vault::new(MasterKey::from_bytes([1; 32]));
    let owners = vault
        .seal(owner.scope(), cal.id, &Secret::new("owner's"))
        .unwrap();
    let partners = vault
        .seal(partner.scope(), cal.id, &Secret::new("partner's"))
        .unwrap();
    // Before and after the owner has a credential: the partner can neither create nor overwrite.
    for round in 0..2 {
        let err = f
            .store
            .put_credential(partner.scope(), cal.id, &partners)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotFound {
                    what: "integration"
                }
            ),
            "round {round}: {err:?}"
        );
        if round == 0 {
            f.store
                .put_credential(owner.scope(), cal.id, &owners)
                .await
                .unwrap();
        }
    }
    assert_eq!(
        f.store.credential(owner.scope(), cal.id).await.unwrap(),
        Some(owners.clone())
    );
    assert!(
        f.store
            .credential(partner.scope(), cal.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !f.store
            .replace_credential(partner.scope(), cal.id, &owners, &partners)
            .await
            .unwrap()
    );
}

pub async fn vault_rotation_reseals_every_credential(f: Fixture) {
    let old = MasterKey::from_bytes([1; 32]);
    let new = MasterKey::from_bytes([2; 32]);
    let stranger = MasterKey::from_bytes([3; 32]);
    let old_vault = Vault::new(old.clone());
    let mut expected = Vec::new();
    for name in ["North", "South"] {
        let (home, owner) = f.household(name).await;
        let partner = f.member(&home, "Jo", Role::Adult).await;
        for member in [&owner, &partner] {
            let integration = f
                .store
                .create_integration(
                    member.scope(),
                    NewIntegration::new("google_calendar", "cal"),
                )
                .await
                .unwrap();
            let secret = format!("{name}/{}", member.display_name);
            old_vault
                .store_credential(
                    &*f.store,
                    member.scope(),
                    integration.id,
                    &Secret::new(secret.clone()),
                )
                .await
                .unwrap();
            expected.push((member.scope(), integration.id, secret));
        }
    }
    // One credential under a key nobody configured: reported, left alone.
    let (_, lost_owner) = f.household("Lost").await;
    let lost = f
        .store
        .create_integration(lost_owner.scope(), NewIntegration::new("caldav", "x"))
        .await
        .unwrap();
    let lost_blob = Vault::new(stranger)
        .seal(lost_owner.scope(), lost.id, &Secret::new("?"))
        .unwrap();
    f.store
        .put_credential(lost_owner.scope(), lost.id, &lost_blob)
        .await
        .unwrap();

    let rotating = Vault::new(new.clone()).with_previous(old);
    let report = rotating.rotate(&*f.store).await.unwrap();
    assert_eq!(report.rotated, 4);
    assert_eq!(report.already_current, 0);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, lost.id);
    assert_eq!(report.failed[0].1.kind(), ErrorKind::Crypto);

    let new_only = Vault::new(new.clone());
    for (scope, integration, secret) in &expected {
        let sealed = f
            .store
            .credential(*scope, *integration)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sealed.key_id(), new.id());
        assert_eq!(
            new_only
                .open(*scope, *integration, &sealed)
                .unwrap()
                .expose(),
            secret
        );
    }
    assert_eq!(
        f.store
            .credential(lost_owner.scope(), lost.id)
            .await
            .unwrap(),
        Some(lost_blob)
    );
    let again = rotating.rotate(&*f.store).await.unwrap();
    assert_eq!((again.rotated, again.already_current), (0, 4));
}

pub async fn events_are_stored_once_per_key(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let payload = json!({"NotificationType": "ORDER_CHANGE", "Payload": {"OrderChangeNotification": {"AmazonOrderId": "902-3159896-1390916"}}});
    let event = NewInboundEvent::new(
        "amazon_sqs",
        "8b8e1b7c-1a2b-4c5d",
        "ORDER_CHANGE",
        payload.clone(),
    );
    let first = f.store.record_event(home.id, event.clone()).await.unwrap();
    assert!(first.is_new());
    f.clock.advance(Duration::seconds(30));
    let second = f.store.record_event(home.id, event.clone()).await.unwrap();
    assert!(!second.is_new());
    assert_eq!(second.event(), first.event());
    assert_eq!(second.event().payload, payload);
    let other_source =
        NewInboundEvent::new("webhook", "8b8e1b7c-1a2b-4c5d", "ORDER_CHANGE", json!({}));
    assert!(
        f.store
            .record_event(home.id, other_source)
            .await
            .unwrap()
            .is_new()
    );

    let pending = f.store.unprocessed_events(home.id, 10).await.unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0], *first.event());
    assert!(
        f.store
            .mark_event_processed(home.id, first.event().id)
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .mark_event_processed(home.id, first.event().id)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store.unprocessed_events(home.id, 10).await.unwrap().len(),
        1
    );
    let processed = f
        .store
        .event(home.id, first.event().id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        processed.processed_at,
        Some(super::start() + Duration::seconds(30))
    );
    let err = f
        .store
        .record_event(
            home.id,
            NewInboundEvent::new("amazon_sqs", "", "X", json!(null)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn notifications_are_enqueued_once_and_come_due(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let s = owner.scope();
    let now = super::start();
    let later = f
        .store
        .enqueue_notification(
            s,
            NewNotification::new("telegram", "reminder:1:2026-03-01T13:00Z", "Call grandma")
                .not_before(now + Duration::hours(1)),
        )
        .await
        .unwrap();
    let asap = f
        .store
        .enqueue_notification(
            s,
            NewNotification::new("telegram", "order:902-1", "New order"),
        )
        .await
        .unwrap();
    assert_eq!(asap.status, DeliveryStatus::Queued);
    assert_eq!(asap.next_attempt_at, Some(now));
    let again = f
        .store
        .enqueue_notification(
            s,
            NewNotification::new("telegram", "order:902-1", "changed text"),
        )
        .await
        .unwrap();
    assert_eq!(again, asap);
    assert_eq!(
        f.store.due_notifications(home.id, now, 10).await.unwrap(),
        vec![asap.clone()]
    );
    assert_eq!(
        f.store
            .due_notifications(home.id, now + Duration::hours(2), 10)
            .await
            .unwrap(),
        vec![asap.clone(), later.clone()]
    );
    let err = f
        .store
        .enqueue_notification(s, NewNotification::new("telegram", "k", ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn delivery_attempts_are_recorded_in_order(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let note = f
        .store
        .enqueue_notification(
            owner.scope(),
            NewNotification::new("telegram", "k1", "Hello"),
        )
        .await
        .unwrap();
    let retry_at = super::start() + Duration::seconds(30);
    let first = f
        .store
        .record_delivery(
            home.id,
            note.id,
            DeliveryAttempt::retry_at("429 Too Many Requests", retry_at),
        )
        .await
        .unwrap();
    assert_eq!((first.attempt, first.status), (1, DeliveryStatus::Retrying));
    let waiting = f
        .store
        .notification(home.id, note.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting.status, DeliveryStatus::Retrying);
    assert_eq!(waiting.next_attempt_at, Some(retry_at));
    assert!(
        f.store
            .due_notifications(home.id, super::start(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store
            .due_notifications(home.id, retry_at, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    f.clock.advance(Duration::seconds(30));
    let second = f
        .store
        .record_delivery(
            home.id,
            note.id,
            DeliveryAttempt::sent(Some("message_id=991".into())),
        )
        .await
        .unwrap();
    assert_eq!((second.attempt, second.status), (2, DeliveryStatus::Sent));
    let sent = f
        .store
        .notification(home.id, note.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (sent.status, sent.attempts, sent.next_attempt_at),
        (DeliveryStatus::Sent, 2, None)
    );
    assert!(
        f.store
            .due_notifications(home.id, retry_at, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Nothing more can be recorded once final.
    let err = f
        .store
        .record_delivery(home.id, note.id, DeliveryAttempt::sent(None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    let receipts = f.store.delivery_receipts(home.id, note.id).await.unwrap();
    assert_eq!(receipts, vec![first, second]);
    let bad = DeliveryAttempt {
        status: DeliveryStatus::Retrying,
        detail: None,
        retry_at: None,
    };
    let note2 = f
        .store
        .enqueue_notification(owner.scope(), NewNotification::new("telegram", "k2", "Hi"))
        .await
        .unwrap();
    let err = f
        .store
        .record_delivery(home.id, note2.id, bad)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let untouched = f
        .store
        .notification(home.id, note2.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.attempts, 0);
    let err = f
        .store
        .record_delivery(home.id, NotificationId::new(), DeliveryAttempt::sent(None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

pub async fn text_with_nul_characters_is_refused(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let s = owner.scope();
    let convo = f.store.conversation(s, "console", "main").await.unwrap();
    let nul = "before\0after";
    let refusals = [
        f.store
            .append_message(s, convo.id, NewMessage::new(MessageRole::User, nul))
            .await
            .map(drop),
        f.store
            .append_message(
                s,
                convo.id,
                NewMessage::new(MessageRole::User, "ok").with_metadata(json!({ "k": nul })),
            )
            .await
            .map(drop),
        f.store.save_note(s, nul).await.map(drop),
        f.store.create_habit(s, NewHabit::new(nul)).await.map(drop),
        f.store
            .record_event(
                home.id,
                NewInboundEvent::new("amazon_sqs", "id-1", "X", json!([nul])),
            )
            .await
            .map(drop),
        f.store
            .enqueue_notification(s, NewNotification::new("telegram", "k", nul))
            .await
            .map(drop),
        f.store
            .create_integration(
                s,
                NewIntegration::new("caldav", "x").with_settings(json!({ nul: 1 })),
            )
            .await
            .map(drop),
        f.store
            .record_check_in(
                s,
                Mood::new(3).unwrap(),
                vec![CheckInAnswer {
                    question: "Sleep?".into(),
                    answer: nul.into(),
                }],
            )
            .await
            .map(drop),
        f.store.create_household(nul).await.map(drop),
    ];
    for (i, result) in refusals.into_iter().enumerate() {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "case {i}: {err:?}");
        assert!(err.to_string().contains("NUL"), "case {i}: {err}");
    }
    assert!(
        f.store
            .recent_messages(s, convo.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(f.store.notes(s, None).await.unwrap().is_empty());
    assert!(
        f.store
            .unprocessed_events(home.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn audit_log_is_newest_first(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let mut written = Vec::new();
    for action in ["member.add", "integration.connect", "vault.rotate"] {
        written.push(
            f.store
                .append_audit(
                    home.id,
                    NewAuditEntry::new(Some(owner.id), action)
                        .with_subject("x")
                        .with_detail(json!({"n": written.len()})),
                )
                .await
                .unwrap(),
        );
        f.clock.advance(Duration::seconds(1));
    }
    let log = f.store.audit_log(home.id, 2).await.unwrap();
    assert_eq!(log, vec![written[2].clone(), written[1].clone()]);
    let system = f
        .store
        .append_audit(home.id, NewAuditEntry::new(None, "migrate"))
        .await
        .unwrap();
    assert_eq!(
        f.store.audit_log(home.id, 1).await.unwrap(),
        vec![system.clone()]
    );
    // An actor from another household is refused.
    let (_, stranger) = f.household("Away").await;
    let err = f
        .store
        .append_audit(home.id, NewAuditEntry::new(Some(stranger.id), "member.add"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "member" }), "{err:?}");
    assert_eq!(f.store.audit_log(home.id, 1).await.unwrap(), vec![system]);
}
