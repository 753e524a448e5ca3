//! Joining by invite, reachability of channel identities, `/forget` and `/export`.

use base64::Engine;
use chrono::Duration;
use serde_json::json;

use crate::scheduler::{JobRegistry, NewJob, Scheduler, StoreScheduler, Trigger};
use crate::vault::MasterKey;
use crate::*;

use super::Fixture;

pub async fn invites_are_created_accepted_and_used_once(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let (elsewhere, stranger) = f.household("Elsewhere").await;
    let expires = f.clock.now() + Duration::days(2);
    let invite = f
        .store
        .create_invite(home.id, owner.id, Role::Child, "JOIN-HOME-7431", expires)
        .await
        .unwrap();
    assert_eq!(invite.household_id, home.id);
    assert_eq!(invite.role, Role::Child);
    assert_eq!(invite.created_by, owner.id);
    assert_eq!(invite.created_at, f.clock.now());
    assert_eq!(invite.expires_at, expires);
    assert_eq!((invite.used_at, invite.used_by), (None, None));
    assert_eq!(
        f.store.invites(home.id).await.unwrap(),
        std::slice::from_ref(&invite)
    );
    assert!(f.store.invites(elsewhere.id).await.unwrap().is_empty());

    let blank = f
        .store
        .create_invite(home.id, owner.id, Role::Adult, "  ", expires)
        .await
        .unwrap_err();
    assert_eq!(blank.kind(), ErrorKind::InvalidInput, "{blank:?}");
    // The creator must be a member of the household the invite is for.
    for (household, creator) in [
        (home.id, stranger.id),
        (HouseholdId::new(), owner.id),
        (home.id, MemberId::new()),
    ] {
        let err = f
            .store
            .create_invite(household, creator, Role::Adult, "JOIN-OTHER", expires)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");
    }
    let reused = f
        .store
        .create_invite(
            elsewhere.id,
            stranger.id,
            Role::Adult,
            "JOIN-HOME-7431",
            expires,
        )
        .await
        .unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::Conflict, "{reused:?}");
    assert_eq!(
        f.store.invites(home.id).await.unwrap(),
        std::slice::from_ref(&invite)
    );
    assert!(f.store.invites(elsewhere.id).await.unwrap().is_empty());

    let sams_phone = ChannelIdentity::telegram(1001);
    let wrong = f
        .store
        .accept_invite(
            "JOIN-HOME-0000",
            NewMember::new("Sam", Role::Owner),
            &sams_phone,
            f.clock.now(),
        )
        .await
        .unwrap();
    assert!(wrong.is_none());
    assert_eq!(
        f.store.members(home.id).await.unwrap(),
        std::slice::from_ref(&owner)
    );
    assert!(
        f.store
            .member_by_identity(&sams_phone)
            .await
            .unwrap()
            .is_none()
    );

    f.clock.advance(Duration::minutes(1));
    // Sam asks to be an owner; the invite says child. Pasted codes may carry whitespace.
    let sam = f
        .store
        .accept_invite(
            " JOIN-HOME-7431\n",
            NewMember::new("Sam", Role::Owner).with_timezone("Europe/Berlin"),
            &sams_phone,
            f.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sam.household_id, home.id);
    assert_eq!(sam.role, Role::Child);
    assert_eq!(sam.display_name, "Sam");
    assert_eq!(sam.timezone, chrono_tz::Europe::Berlin);
    assert_eq!(
        f.store.member_by_identity(&sams_phone).await.unwrap(),
        Some(sam.clone())
    );
    assert_eq!(
        f.store.members(home.id).await.unwrap(),
        [owner.clone(), sam.clone()]
    );
    assert!(f.store.members(elsewhere.id).await.unwrap().len() == 1);
    let used = &f.store.invites(home.id).await.unwrap()[0];
    assert_eq!(used.used_at, Some(f.clock.now()));
    assert_eq!(used.used_by, Some(sam.id));

    // Single use.
    let alex = ChannelIdentity::telegram(1002);
    let again = f
        .store
        .accept_invite(
            "JOIN-HOME-7431",
            NewMember::new("Alex", Role::Adult),
            &alex,
            f.clock.now(),
        )
        .await
        .unwrap();
    assert!(again.is_none());
    assert_eq!(f.store.members(home.id).await.unwrap().len(), 2);
    assert!(f.store.member_by_identity(&alex).await.unwrap().is_none());

    f.clock.advance(Duration::minutes(1));
    let newer = f
        .store
        .create_invite(home.id, owner.id, Role::Guest, "JOIN-HOME-2", expires)
        .await
        .unwrap();
    let ids: Vec<_> = f
        .store
        .invites(home.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, [newer.id, invite.id], "newest first");
}

pub async fn expired_invites_add_nobody(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let invite = f
        .store
        .create_invite(
            home.id,
            owner.id,
            Role::Adult,
            "soon-gone",
            f.clock.now() + Duration::hours(1),
        )
        .await
        .unwrap();
    let tg = ChannelIdentity::telegram(5);
    for at in [invite.expires_at, invite.expires_at + Duration::days(1)] {
        let accepted = f
            .store
            .accept_invite("soon-gone", NewMember::new("Late", Role::Adult), &tg, at)
            .await
            .unwrap();
        assert!(accepted.is_none(), "accepted at {at}");
    }
    assert_eq!(
        f.store.members(home.id).await.unwrap(),
        std::slice::from_ref(&owner)
    );
    assert!(f.store.member_by_identity(&tg).await.unwrap().is_none());
    assert_eq!(
        f.store.invites(home.id).await.unwrap(),
        std::slice::from_ref(&invite)
    );
    let blank = f
        .store
        .accept_invite(" ", NewMember::new("Late", Role::Adult), &tg, f.clock.now())
        .await
        .unwrap_err();
    assert_eq!(blank.kind(), ErrorKind::InvalidInput, "{blank:?}");

    // Just before it expires it still works.
    let just_in_time = invite.expires_at - Duration::seconds(1);
    let joined = f
        .store
        .accept_invite(
            "soon-gone",
            NewMember::new("Late", Role::Adult),
            &tg,
            just_in_time,
        )
        .await
        .unwrap()
        .unwrap();
    let used = &f.store.invites(home.id).await.unwrap()[0];
    assert_eq!(used.used_at, Some(just_in_time));
    assert_eq!(used.used_by, Some(joined.id));

    // Invites go with the member who created them; who joined stays.
    assert!(f.store.remove_member(owner.scope()).await.unwrap());
    assert!(f.store.invites(home.id).await.unwrap().is_empty());
    assert_eq!(f.store.members(home.id).await.unwrap(), [joined]);
}

pub async fn an_invite_stays_unused_when_the_identity_is_taken(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let (_, stranger) = f.household("Elsewhere").await;
    let owners_phone = ChannelIdentity::telegram(77);
    let strangers_phone = ChannelIdentity::telegram(78);
    f.store
        .link_identity(owner.scope(), &owners_phone)
        .await
        .unwrap();
    f.store
        .link_identity(stranger.scope(), &strangers_phone)
        .await
        .unwrap();
    let invite = f
        .store
        .create_invite(
            home.id,
            owner.id,
            Role::Adult,
            "twin",
            f.clock.now() + Duration::days(1),
        )
        .await
        .unwrap();
    for taken in [&owners_phone, &strangers_phone] {
        let err = f
            .store
            .accept_invite(
                "twin",
                NewMember::new("Twin", Role::Adult),
                taken,
                f.clock.now(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    }
    // Bad member input is refused before anything changes.
    let fresh = ChannelIdentity::telegram(79);
    let err = f
        .store
        .accept_invite(
            "twin",
            NewMember::new("Twin", Role::Adult).with_timezone("Mars/Base"),
            &fresh,
            f.clock.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
    assert_eq!(f.store.invites(home.id).await.unwrap(), [invite]);
    assert_eq!(
        f.store.members(home.id).await.unwrap(),
        std::slice::from_ref(&owner)
    );
    assert_eq!(
        f.store.member_by_identity(&owners_phone).await.unwrap(),
        Some(owner.clone())
    );
    assert_eq!(
        f.store.member_by_identity(&strangers_phone).await.unwrap(),
        Some(stranger)
    );
    assert!(f.store.member_by_identity(&fresh).await.unwrap().is_none());

    let twin = f
        .store
        .accept_invite(
            "twin",
            NewMember::new("Twin", Role::Adult),
            &fresh,
            f.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.store.identities(twin.scope()).await.unwrap(), [fresh]);
    assert_eq!(
        f.store.invites(home.id).await.unwrap()[0].used_by,
        Some(twin.id)
    );
}

pub async fn concurrent_invite_accepts_add_one_member(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let invite = f
        .store
        .create_invite(
            home.id,
            owner.id,
            Role::Adult,
            "race",
            f.clock.now() + Duration::days(1),
        )
        .await
        .unwrap();
    let now = f.clock.now();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = f.store.clone();
            tokio::spawn(async move {
                let identity = ChannelIdentity::telegram(500 + i);
                let joined = store
                    .accept_invite(
                        "race",
                        NewMember::new(format!("Joiner {i}"), Role::Guest),
                        &identity,
                        now,
                    )
                    .await;
                (identity, joined)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (identity, Ok(Some(member))) => winners.push((identity, member)),
            (identity, Ok(None)) => losers.push(identity),
            (_, Err(e)) => panic!("an accept failed: {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let (identity, winner) = &winners[0];
    assert_eq!(
        f.store.members(home.id).await.unwrap(),
        [owner, winner.clone()]
    );
    assert_eq!(
        f.store.member_by_identity(identity).await.unwrap().as_ref(),
        Some(winner)
    );
    for loser in &losers {
        assert!(f.store.member_by_identity(loser).await.unwrap().is_none());
    }
    let used = &f.store.invites(home.id).await.unwrap()[0];
    assert_eq!(used.id, invite.id);
    assert_eq!(used.used_by, Some(winner.id));
}

pub async fn identity_reachability_is_set_and_cleared(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let kid = f.member(&home, "Kid", Role::Child).await;
    let (elsewhere, stranger) = f.household("Elsewhere").await;
    let owner_tg = ChannelIdentity::telegram(1);
    let owner_console = ChannelIdentity::new("console", "alex");
    let kid_tg = ChannelIdentity::telegram(2);
    let stranger_tg = ChannelIdentity::telegram(3);
    for (member, identity) in [
        (&owner, &owner_tg),
        (&owner, &owner_console),
        (&kid, &kid_tg),
        (&stranger, &stranger_tg),
    ] {
        f.store
            .link_identity(member.scope(), identity)
            .await
            .unwrap();
    }
    assert!(
        f.store
            .unreachable_identities(home.id)
            .await
            .unwrap()
            .is_empty()
    );

    let t1 = f.clock.now();
    let t2 = t1 + Duration::hours(1);
    let t3 = t1 + Duration::hours(2);
    let set = |identity: &ChannelIdentity, reachable, at| {
        let (store, identity) = (f.store.clone(), identity.clone());
        async move {
            store
                .set_identity_reachable(&identity, reachable, at)
                .await
                .unwrap()
        }
    };
    assert_eq!(set(&owner_tg, false, t1).await, Some(owner.clone()));
    // Marking it again keeps when it started.
    assert_eq!(set(&owner_tg, false, t2).await, Some(owner.clone()));
    assert_eq!(set(&kid_tg, false, t2).await, Some(kid.clone()));
    assert_eq!(set(&stranger_tg, false, t1).await, Some(stranger.clone()));
    let unreachable = |member: &Member, identity: &ChannelIdentity, since| UnreachableIdentity {
        member_id: member.id,
        identity: identity.clone(),
        since,
    };
    assert_eq!(
        f.store.unreachable_identities(home.id).await.unwrap(),
        [
            unreachable(&owner, &owner_tg, t1),
            unreachable(&kid, &kid_tg, t2)
        ]
    );
    assert_eq!(
        f.store.unreachable_identities(elsewhere.id).await.unwrap(),
        [unreachable(&stranger, &stranger_tg, t1)]
    );

    assert_eq!(set(&owner_tg, true, t2).await, Some(owner.clone()));
    assert_eq!(
        f.store.unreachable_identities(home.id).await.unwrap(),
        [unreachable(&kid, &kid_tg, t2)]
    );
    // Cleared means a later report starts a new stretch.
    assert_eq!(set(&owner_tg, false, t3).await, Some(owner.clone()));
    assert_eq!(
        f.store.unreachable_identities(home.id).await.unwrap(),
        [
            unreachable(&kid, &kid_tg, t2),
            unreachable(&owner, &owner_tg, t3)
        ]
    );
    // Reachable again while reachable changes nothing.
    assert_eq!(set(&owner_console, true, t3).await, Some(owner.clone()));

    let nobodys = ChannelIdentity::telegram(999);
    assert_eq!(set(&nobodys, false, t1).await, None);
    assert_eq!(set(&nobodys, true, t1).await, None);
    assert_eq!(
        f.store.unreachable_identities(home.id).await.unwrap().len(),
        2
    );
    assert_eq!(
        f.store
            .unreachable_identities(HouseholdId::new())
            .await
            .unwrap(),
        []
    );
}

/// Two conversations with messages, one summary and two notes for `member`.
async fn remember_things(f: &Fixture, member: &Member) -> [ConversationId; 2] {
    let s = member.scope();
    let chat = f.store.conversation(s, "telegram", "1").await.unwrap();
    let stored = f
        .store
        .append_messages(
            s,
            chat.id,
            vec![
                NewMessage::new(MessageRole::User, format!("{} asks", member.display_name)),
                NewMessage::new(MessageRole::Assistant, "an answer"),
                NewMessage::new(MessageRole::User, "thanks"),
            ],
        )
        .await
        .unwrap();
    f.store
        .save_conversation_summary(s, chat.id, "they asked", stored[1].id)
        .await
        .unwrap();
    let console = f.store.conversation(s, "console", "main").await.unwrap();
    f.store
        .append_message(s, console.id, NewMessage::new(MessageRole::User, "hello"))
        .await
        .unwrap();
    f.store.save_note(s, "likes tea").await.unwrap();
    f.store.save_note(s, "allergic to cats").await.unwrap();
    [chat.id, console.id]
}

pub async fn forgetting_memory_spares_other_members(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let kid = f.member(&home, "Kid", Role::Child).await;
    let owners = remember_things(&f, &owner).await;
    let kids = remember_things(&f, &kid).await;

    let forgotten = f.store.forget_memory(owner.scope()).await.unwrap();
    assert_eq!(
        forgotten,
        Forgotten {
            notes: 2,
            messages: 4,
            summaries: 1
        }
    );
    assert!(f.store.notes(owner.scope(), None).await.unwrap().is_empty());
    for conversation in owners {
        assert!(
            f.store
                .recent_messages(owner.scope(), conversation, 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            f.store
                .conversation_summary(owner.scope(), conversation)
                .await
                .unwrap()
                .is_none()
        );
    }
    // The conversations stay, empty, so the chat goes on.
    assert_eq!(f.store.conversations(owner.scope()).await.unwrap().len(), 2);

    let kid_untouched = |f: &Fixture| {
        let (store, scope) = (f.store.clone(), kid.scope());
        async move {
            assert_eq!(store.notes(scope, None).await.unwrap().len(), 2);
            for (conversation, count) in kids.into_iter().zip([3, 1]) {
                assert_eq!(
                    store
                        .recent_messages(scope, conversation, 100)
                        .await
                        .unwrap()
                        .len(),
                    count
                );
            }
            assert!(
                store
                    .conversation_summary(scope, kids[0])
                    .await
                    .unwrap()
                    .is_some()
            );
        }
    };
    kid_untouched(&f).await;
    assert_eq!(
        f.store.forget_memory(owner.scope()).await.unwrap(),
        Forgotten::default()
    );
    // A scope pairing the kid with another household forgets nothing of theirs.
    let (elsewhere, _) = f.household("Elsewhere").await;
    assert_eq!(
        f.store
            .forget_memory(MemberScope::new(elsewhere.id, kid.id))
            .await
            .unwrap(),
        Forgotten::default()
    );
    kid_untouched(&f).await;
}

pub async fn export_holds_only_the_members_own_data(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let kid = f.member(&home, "Kid", Role::Child).await;
    let scheduler = StoreScheduler::new(f.store.clone(), JobRegistry::with_builtins())
        .with_clock(f.clock.clone());
    let vault = Vault::new(MasterKey::from_bytes([9; 32]));
    let token = "ya29.PlaintextAccessTokenForExport";
    let mut integrations = Vec::new();
    for (member, tag) in [(&owner, "owner"), (&kid, "kid")] {
        let s = member.scope();
        f.store
            .link_identity(
                s,
                &ChannelIdentity::new("console", format!("{tag}-console")),
            )
            .await
            .unwrap();
        f.store.save_note(s, &format!("{tag}-note")).await.unwrap();
        let habit = f
            .store
            .create_habit(s, NewHabit::new(format!("{tag}-habit")))
            .await
            .unwrap();
        f.store
            .log_habit(s, habit.id, f.clock.now(), Some(&format!("{tag}-log")))
            .await
            .unwrap();
        f.store
            .record_check_in(s, Mood::new(4).unwrap(), vec![])
            .await
            .unwrap();
        let chat = f.store.conversation(s, "telegram", tag).await.unwrap();
        let said = f
            .store
            .append_message(
                s,
                chat.id,
                NewMessage::new(MessageRole::User, format!("{tag}-message")),
            )
            .await
            .unwrap();
        f.store
            .save_conversation_summary(s, chat.id, &format!("{tag}-summary"), said.id)
            .await
            .unwrap();
        scheduler
            .schedule(
                s,
                NewJob::reminder(
                    format!("{tag}-reminder"),
                    Trigger::once(f.clock.now() + Duration::days(1)),
                ),
            )
            .await
            .unwrap();
        let integration = f
            .store
            .create_integration(
                s,
                NewIntegration::new("google_calendar", format!("{tag}-calendar"))
                    .with_settings(json!({"calendar": format!("{tag}-calendar-id")})),
            )
            .await
            .unwrap();
        vault
            .store_credential(&*f.store, s, integration.id, &Secret::new(token))
            .await
            .unwrap();
        integrations.push(integration.id);
        f.store
            .create_pending_action(
                s,
                NewPendingAction::new(
                    "create_reminder",
                    json!({"text": format!("{tag}-pending")}),
                    format!("{tag}-pending"),
                    f.clock.now() + Duration::hours(1),
                ),
            )
            .await
            .unwrap();
    }

    let export = export_member(&*f.store, owner.scope()).await.unwrap();
    assert_eq!(export["format_version"], 1);
    assert!(export["exported_at"].is_string(), "{export}");
    assert_eq!(export["member"]["id"], owner.id.to_string());
    assert_eq!(export["member"]["display_name"], owner.display_name);
    assert_eq!(export["identities"][0]["external_id"], "owner-console");
    assert_eq!(export["notes"][0]["content"], "owner-note");
    assert_eq!(export["habits"][0]["name"], "owner-habit");
    assert_eq!(export["habits"][0]["logs"][0]["note"], "owner-log");
    assert_eq!(export["check_ins"][0]["mood"], 4);
    let chat = &export["conversations"][0];
    assert_eq!(chat["chat_id"], "owner");
    assert_eq!(chat["messages"][0]["content"], "owner-message");
    assert_eq!(chat["summary"]["summary"], "owner-summary");
    assert_eq!(export["jobs"][0]["payload"]["text"], "owner-reminder");
    assert_eq!(export["integrations"][0]["label"], "owner-calendar");
    assert_eq!(
        export["integrations"][0]["settings"]["calendar"],
        "owner-calendar-id"
    );
    assert_eq!(export["pending_actions"][0]["summary"], "owner-pending");
    for list in [
        "identities",
        "notes",
        "habits",
        "check_ins",
        "conversations",
        "jobs",
        "integrations",
        "pending_actions",
    ] {
        assert_eq!(export[list].as_array().unwrap().len(), 1, "{list}");
    }

    let text = export.to_string();
    assert!(!text.contains("kid-"), "another member's data: {text}");
    assert!(!text.contains(&kid.id.to_string()), "{text}");
    assert!(!text.contains("PlaintextAccessToken"), "{text}");
    let sealed = f
        .store
        .credential(owner.scope(), integrations[0])
        .await
        .unwrap()
        .unwrap();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    let hex: String = sealed
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!text.contains(&hex), "{text}");
    for engine in engines {
        assert!(!text.contains(&engine.encode(sealed.as_bytes())), "{text}");
    }
    assert!(
        !text.contains("sealed") && !text.contains("credential"),
        "{text}"
    );

    for scope in [
        MemberScope::new(home.id, MemberId::new()),
        MemberScope::new(HouseholdId::new(), owner.id),
    ] {
        let err = export_member(&*f.store, scope).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");
    }
}
