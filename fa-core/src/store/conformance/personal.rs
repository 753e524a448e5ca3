use chrono::Duration;
use serde_json::json;

use crate::*;

use super::Fixture;

pub async fn conversation_is_created_once(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let first = f
        .store
        .conversation(owner.scope(), "telegram", "42")
        .await
        .unwrap();
    f.clock.advance(Duration::minutes(5));
    let again = f
        .store
        .conversation(owner.scope(), "telegram", "42")
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = f
        .store
        .conversation(owner.scope(), "console", "main")
        .await
        .unwrap();
    assert_ne!(first.id, other.id);
    let err = f
        .store
        .conversation(owner.scope(), "telegram", "")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn concurrent_conversation_creation_yields_one(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = f.store.clone();
            let scope = owner.scope();
            tokio::spawn(async move { store.conversation(scope, "telegram", "1").await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

pub async fn messages_come_back_in_order(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let convo = f
        .store
        .conversation(owner.scope(), "console", "main")
        .await
        .unwrap();
    let mut sent = Vec::new();
    for i in 0..30 {
        let role = if i % 2 == 0 {
            MessageRole::User
        } else {
            MessageRole::Assistant
        };
        let mut message = NewMessage::new(role, format!("message {i}"));
        if i == 29 {
            message = message.with_metadata(json!({"tool_calls": [{"name": "time"}]}));
        }
        // Same timestamp for all: order must come from insertion, not from the clock.
        sent.push(
            f.store
                .append_message(owner.scope(), convo.id, message)
                .await
                .unwrap(),
        );
    }
    let last10 = f
        .store
        .recent_messages(owner.scope(), convo.id, 10)
        .await
        .unwrap();
    assert_eq!(last10, sent[20..].to_vec());
    assert_eq!(
        last10[9].metadata,
        Some(json!({"tool_calls": [{"name": "time"}]}))
    );
    assert_eq!(last10[0].role, MessageRole::User);
    let all = f
        .store
        .recent_messages(owner.scope(), convo.id, 100)
        .await
        .unwrap();
    assert_eq!(all, sent);
    assert!(
        f.store
            .recent_messages(owner.scope(), convo.id, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn messages_need_the_members_own_conversation(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let owners = f
        .store
        .conversation(owner.scope(), "console", "main")
        .await
        .unwrap();
    for (scope, convo) in [
        (partner.scope(), owners.id),
        (owner.scope(), ConversationId::new()),
    ] {
        let err = f
            .store
            .append_message(scope, convo, NewMessage::new(MessageRole::User, "hi"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotFound {
                    what: "conversation"
                }
            ),
            "{err:?}"
        );
    }
    assert!(
        f.store
            .recent_messages(owner.scope(), owners.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn notes_are_saved_searched_and_forgotten(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let s = owner.scope();
    let allergy = f.store.save_note(s, "Allergic to PEANUTS").await.unwrap();
    f.clock.advance(Duration::seconds(1));
    let size = f.store.save_note(s, "Shoe size 42; Größe M").await.unwrap();
    assert_eq!(
        f.store.notes(s, None).await.unwrap(),
        vec![allergy.clone(), size.clone()]
    );
    assert_eq!(
        f.store.notes(s, Some("peanut")).await.unwrap(),
        vec![allergy.clone()]
    );
    assert_eq!(
        f.store.notes(s, Some("größe")).await.unwrap(),
        vec![size.clone()]
    );
    assert_eq!(f.store.notes(s, Some("  ")).await.unwrap().len(), 2);
    assert!(f.store.delete_note(s, allergy.id).await.unwrap());
    assert!(!f.store.delete_note(s, allergy.id).await.unwrap());
    assert_eq!(f.store.notes(s, None).await.unwrap(), vec![size]);
    assert_eq!(
        f.store.save_note(s, " ").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

pub async fn habits_are_created_logged_and_archived(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let s = owner.scope();
    let stretch = f
        .store
        .create_habit(s, NewHabit::new("Stretch").with_target_per_week(5))
        .await
        .unwrap();
    assert_eq!(stretch.target_per_week, Some(5));
    let t0 = super::start();
    for day in 0..5 {
        let note = (day == 2).then_some("felt good");
        f.store
            .log_habit(s, stretch.id, t0 + Duration::days(day), note)
            .await
            .unwrap();
    }
    let window = f
        .store
        .habit_logs(
            s,
            stretch.id,
            t0 + Duration::days(1),
            t0 + Duration::days(4),
        )
        .await
        .unwrap();
    assert_eq!(
        window.iter().map(|l| l.done_at).collect::<Vec<_>>(),
        vec![
            t0 + Duration::days(1),
            t0 + Duration::days(2),
            t0 + Duration::days(3)
        ]
    );
    assert_eq!(window[1].note.as_deref(), Some("felt good"));
    assert!(
        f.store
            .set_habit_archived(s, stretch.id, true)
            .await
            .unwrap()
    );
    assert!(f.store.habits(s).await.unwrap()[0].archived);
    let err = f
        .store
        .log_habit(s, HabitId::new(), t0, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "habit" }), "{err:?}");
}

pub async fn habit_input_is_validated(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    for bad in [
        NewHabit::new(""),
        NewHabit::new("Read").with_target_per_week(0),
    ] {
        let err = f.store.create_habit(owner.scope(), bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    assert!(f.store.habits(owner.scope()).await.unwrap().is_empty());
    assert!(Mood::new(0).is_err() && Mood::new(6).is_err());
}

pub async fn check_ins_are_recorded_by_range(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let s = owner.scope();
    let mut recorded = Vec::new();
    for (i, mood) in [3u8, 4, 2].into_iter().enumerate() {
        let answers = vec![CheckInAnswer {
            question: "How did you sleep?".into(),
            answer: format!("night {i}"),
        }];
        recorded.push(
            f.store
                .record_check_in(s, Mood::new(mood).unwrap(), answers)
                .await
                .unwrap(),
        );
        f.clock.advance(Duration::days(1));
    }
    let t0 = super::start();
    let got = f
        .store
        .check_ins(s, t0 + Duration::hours(1), t0 + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(got, recorded[1..].to_vec());
    assert_eq!(got[1].mood.get(), 2);
    assert_eq!(got[0].answers[0].answer, "night 1");
}
