use chrono::Duration;
use serde_json::json;

use crate::*;

use super::Fixture;

pub async fn profiles_are_saved_replaced_and_deleted(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let (other, _) = f.household("Other").await;
    let helper = f
        .store
        .save_profile(
            home.id,
            NewProfile::new("family helper", "You help the family.")
                .model("small")
                .tools(["current_time", "create_reminder"])
                .temperature(0.25),
        )
        .await
        .unwrap();
    assert_eq!(helper.allowed_tools.as_deref().unwrap().len(), 2);
    assert_eq!(helper.temperature, Some(0.25));
    f.clock.advance(Duration::minutes(1));
    let replaced = f
        .store
        .save_profile(home.id, NewProfile::new("family helper", "Be brief."))
        .await
        .unwrap();
    assert_eq!(replaced.id, helper.id, "same name replaces, keeping the id");
    assert_eq!(replaced.system_prompt, "Be brief.");
    assert_eq!(replaced.model, None);
    assert_eq!(replaced.allowed_tools, None);
    assert!(replaced.updated_at > helper.updated_at);
    f.store
        .save_profile(home.id, NewProfile::new("shop assistant", "Orders."))
        .await
        .unwrap();
    let names: Vec<_> = f
        .store
        .profiles(home.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["family helper", "shop assistant"]);
    assert!(f.store.profiles(other.id).await.unwrap().is_empty());
    assert!(
        f.store
            .profile(other.id, "family helper")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !f.store
            .delete_profile(other.id, "family helper")
            .await
            .unwrap()
    );
    assert!(
        f.store
            .delete_profile(home.id, "family helper")
            .await
            .unwrap()
    );
    assert!(
        f.store
            .profile(home.id, "family helper")
            .await
            .unwrap()
            .is_none()
    );
    let err = f
        .store
        .save_profile(home.id, NewProfile::new("x", "y").temperature(3.0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn pending_actions_are_answered_once(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let expires = f.clock.now() + Duration::minutes(10);
    let new = |summary: &str| {
        NewPendingAction::new(
            "create_reminder",
            json!({"text": summary}),
            summary,
            expires,
        )
    };
    let first = f
        .store
        .create_pending_action(owner.scope(), new("call grandma"))
        .await
        .unwrap();
    let second = f
        .store
        .create_pending_action(owner.scope(), new("water plants"))
        .await
        .unwrap();
    assert_eq!(first.state, PendingActionState::Pending);
    assert_eq!(
        f.store
            .open_pending_actions(owner.scope())
            .await
            .unwrap()
            .len(),
        2
    );

    let confirmed = f
        .store
        .resolve_pending_action(owner.scope(), first.id, true)
        .await
        .unwrap();
    assert_eq!(confirmed.state, PendingActionState::Confirmed);
    assert_eq!(confirmed.resolved_at, Some(f.clock.now()));
    assert_eq!(confirmed.arguments, json!({"text": "call grandma"}));
    let again = f
        .store
        .resolve_pending_action(owner.scope(), first.id, false)
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
    assert!(again.to_string().contains("already confirmed"), "{again}");

    f.clock.advance(Duration::minutes(11));
    assert!(
        f.store
            .open_pending_actions(owner.scope())
            .await
            .unwrap()
            .is_empty(),
        "expired actions are not open"
    );
    let expired = f
        .store
        .resolve_pending_action(owner.scope(), second.id, true)
        .await
        .unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");
    let missing = f
        .store
        .resolve_pending_action(owner.scope(), PendingActionId::new(), true)
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

pub async fn concurrent_confirmations_succeed_once(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    let action = f
        .store
        .create_pending_action(
            owner.scope(),
            NewPendingAction::new("t", json!({}), "do it", f.clock.now() + Duration::hours(1)),
        )
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = f.store.clone();
            let scope = owner.scope();
            tokio::spawn(async move {
                store
                    .resolve_pending_action(scope, action.id, i % 2 == 0)
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
}

pub async fn tool_preferences_and_summaries_round_trip(f: Fixture) {
    let (_, owner) = f.household("Home").await;
    assert!(
        f.store
            .tools_without_confirmation(owner.scope())
            .await
            .unwrap()
            .is_empty()
    );
    f.store
        .set_tool_confirmation(owner.scope(), "create_reminder", false)
        .await
        .unwrap();
    f.store
        .set_tool_confirmation(owner.scope(), "forget", true)
        .await
        .unwrap();
    assert_eq!(
        f.store
            .tools_without_confirmation(owner.scope())
            .await
            .unwrap(),
        ["create_reminder"]
    );
    f.store
        .set_tool_confirmation(owner.scope(), "create_reminder", true)
        .await
        .unwrap();
    assert!(
        f.store
            .tools_without_confirmation(owner.scope())
            .await
            .unwrap()
            .is_empty()
    );

    let convo = f
        .store
        .conversation(owner.scope(), "console", "main")
        .await
        .unwrap();
    let message = f
        .store
        .append_message(
            owner.scope(),
            convo.id,
            NewMessage::new(MessageRole::User, "hi"),
        )
        .await
        .unwrap();
    assert!(
        f.store
            .conversation_summary(owner.scope(), convo.id)
            .await
            .unwrap()
            .is_none()
    );
    f.store
        .save_conversation_summary(owner.scope(), convo.id, "first", message.id)
        .await
        .unwrap();
    let saved = f
        .store
        .save_conversation_summary(owner.scope(), convo.id, "second", message.id)
        .await
        .unwrap();
    assert_eq!(
        f.store
            .conversation_summary(owner.scope(), convo.id)
            .await
            .unwrap(),
        Some(saved)
    );
}

pub async fn another_member_sees_no_assistant_state(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let kid = f.member(&home, "Kid", Role::Child).await;
    let (_, stranger) = f.household("Other").await;
    let action = f
        .store
        .create_pending_action(
            owner.scope(),
            NewPendingAction::new("t", json!({}), "do it", f.clock.now() + Duration::hours(1)),
        )
        .await
        .unwrap();
    let convo = f
        .store
        .conversation(owner.scope(), "console", "main")
        .await
        .unwrap();
    let message = f
        .store
        .append_message(
            owner.scope(),
            convo.id,
            NewMessage::new(MessageRole::User, "hi"),
        )
        .await
        .unwrap();
    f.store
        .save_conversation_summary(owner.scope(), convo.id, "secret", message.id)
        .await
        .unwrap();
    for other in [&kid, &stranger] {
        assert!(
            f.store
                .pending_action(other.scope(), action.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            f.store
                .open_pending_actions(other.scope())
                .await
                .unwrap()
                .is_empty()
        );
        let err = f
            .store
            .resolve_pending_action(other.scope(), action.id, true)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            f.store
                .conversation_summary(other.scope(), convo.id)
                .await
                .unwrap()
                .is_none()
        );
        let err = f
            .store
            .save_conversation_summary(other.scope(), convo.id, "overwrite", message.id)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }
    // A forged scope (a member of another household) cannot write either.
    let forged = MemberScope::new(home.id, stranger.id);
    let err = f
        .store
        .create_pending_action(
            forged,
            NewPendingAction::new("t", json!({}), "x", f.clock.now() + Duration::hours(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        f.store
            .pending_action(owner.scope(), action.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        PendingActionState::Pending
    );
    assert!(f.store.remove_member(owner.scope()).await.unwrap());
    assert!(
        f.store
            .pending_action(owner.scope(), action.id)
            .await
            .unwrap()
            .is_none()
    );
}
