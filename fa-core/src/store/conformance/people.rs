use crate::*;

use super::Fixture;

pub async fn household_round_trip(f: Fixture) {
    let created = f.store.create_household("  The Millers ").await.unwrap();
    assert_eq!(created.name, "The Millers");
    assert_eq!(created.created_at, super::start());
    let read = f.store.household(created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    let other = f.store.create_household("Neighbours").await.unwrap();
    let mut ids = f.store.household_ids().await.unwrap();
    ids.sort();
    let mut expected = vec![created.id, other.id];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        f.store
            .household(HouseholdId::new())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn household_name_is_validated(f: Fixture) {
    let err = f.store.create_household("   ").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("household name"), "{err}");
    assert!(f.store.household_ids().await.unwrap().is_empty());
}

pub async fn members_round_trip(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    f.clock.advance(chrono::Duration::seconds(1));
    let kid = f
        .store
        .add_member(
            home.id,
            NewMember::new("Sam", Role::Child)
                .with_timezone("America/New_York")
                .with_locale("en-US"),
        )
        .await
        .unwrap();
    assert_eq!(kid.timezone, chrono_tz::America::New_York);
    assert_eq!(kid.role, Role::Child);
    assert_eq!(f.store.member(kid.scope()).await.unwrap().unwrap(), kid);
    assert_eq!(
        f.store.members(home.id).await.unwrap(),
        vec![owner.clone(), kid.clone()]
    );

    let mut renamed = kid.clone();
    renamed.display_name = "Samantha".into();
    renamed.role = Role::Adult;
    renamed.timezone = chrono_tz::Europe::Berlin;
    f.store.update_member(&renamed).await.unwrap();
    assert_eq!(f.store.member(kid.scope()).await.unwrap().unwrap(), renamed);

    assert!(f.store.remove_member(kid.scope()).await.unwrap());
    assert!(!f.store.remove_member(kid.scope()).await.unwrap());
    assert_eq!(f.store.members(home.id).await.unwrap(), vec![owner]);
    let mut ghost = renamed;
    ghost.id = MemberId::new();
    assert_eq!(
        f.store.update_member(&ghost).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

pub async fn member_input_is_validated_and_nothing_stored(f: Fixture) {
    let home = f.store.create_household("Home").await.unwrap();
    let cases = [
        (
            NewMember::new("Alex", Role::Adult).with_timezone("Mars/Base"),
            "timezone",
        ),
        (
            NewMember::new("Alex", Role::Adult).with_locale("english"),
            "locale",
        ),
        (NewMember::new(" ", Role::Adult), "display_name"),
    ];
    for (member, field) in cases {
        let err = f.store.add_member(home.id, member).await.unwrap_err();
        match &err {
            Error::InvalidInput { field: got, .. } => assert_eq!(*got, field, "{err}"),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
    assert!(f.store.members(home.id).await.unwrap().is_empty());
}

pub async fn member_needs_an_existing_household(f: Fixture) {
    let err = f
        .store
        .add_member(HouseholdId::new(), NewMember::new("Alex", Role::Owner))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { what: "household" }),
        "{err:?}"
    );
}

pub async fn identities_link_find_and_unlink(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let tg = ChannelIdentity::telegram(42);
    f.store.link_identity(owner.scope(), &tg).await.unwrap();
    // Linking again to the same member is a no-op, not an error.
    f.store.link_identity(owner.scope(), &tg).await.unwrap();
    let other = ChannelIdentity::new("console", "alex");
    f.store.link_identity(owner.scope(), &other).await.unwrap();
    assert_eq!(
        f.store.identities(owner.scope()).await.unwrap(),
        vec![other.clone(), tg.clone()]
    );
    assert_eq!(
        f.store.member_by_identity(&tg).await.unwrap().unwrap(),
        owner
    );
    assert!(
        f.store
            .identities(partner.scope())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        f.store
            .member_by_identity(&ChannelIdentity::telegram(43))
            .await
            .unwrap()
            .is_none()
    );
    assert!(!f.store.unlink_identity(partner.scope(), &tg).await.unwrap());
    assert!(f.store.unlink_identity(owner.scope(), &tg).await.unwrap());
    assert!(f.store.member_by_identity(&tg).await.unwrap().is_none());
    let err = f
        .store
        .link_identity(owner.scope(), &ChannelIdentity::new("", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

pub async fn an_identity_belongs_to_one_member(f: Fixture) {
    let (home, owner) = f.household("Home").await;
    let partner = f.member(&home, "Jo", Role::Adult).await;
    let (_, stranger) = f.household("Elsewhere").await;
    let tg = ChannelIdentity::telegram(7);
    f.store.link_identity(owner.scope(), &tg).await.unwrap();
    for taker in [&partner, &stranger] {
        let err = f.store.link_identity(taker.scope(), &tg).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    }
    assert_eq!(
        f.store.member_by_identity(&tg).await.unwrap().unwrap(),
        owner
    );
    // A scope pairing a member with the wrong household cannot link anything.
    let forged = MemberScope::new(stranger.household_id, owner.id);
    let err = f
        .store
        .link_identity(forged, &ChannelIdentity::telegram(8))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");
}

pub async fn status_reports_backend_and_schema(f: Fixture) {
    let status = f.store.status().await.unwrap();
    assert!(
        ["sqlite", "postgres"].contains(&status.backend),
        "{status:?}"
    );
    assert_eq!(status.schema_version, crate::store::SCHEMA_VERSION);
    assert!(!status.location.is_empty(), "{status:?}");
}
