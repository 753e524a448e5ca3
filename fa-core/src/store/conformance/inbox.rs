use chrono::Duration;

use crate::*;

use super::Fixture;

pub async fn inbox_journals_once_and_counts_attempts(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let h = home.id;
    let s = &f.store;
    assert!(
        s.journal_inbound(h, "telegram", "update:1", "{\"a\":1}")
            .await
            .unwrap()
    );
    // A redelivery stores nothing and keeps the first payload.
    assert!(
        !s.journal_inbound(h, "telegram", "update:1", "{\"a\":2}")
            .await
            .unwrap()
    );
    f.clock.advance(Duration::seconds(1));
    assert!(
        s.journal_inbound(h, "telegram", "update:2", "{\"b\":1}")
            .await
            .unwrap()
    );
    // The same key on another channel is another delivery.
    assert!(
        s.journal_inbound(h, "console", "update:1", "x")
            .await
            .unwrap()
    );

    let open = s
        .unfinished_inbound(h, "telegram", f.clock.now(), 10)
        .await
        .unwrap();
    let keys: Vec<_> = open
        .iter()
        .map(|e| (e.key.as_str(), e.payload.as_str(), e.attempts))
        .collect();
    assert_eq!(
        keys,
        [("update:1", "{\"a\":1}", 0), ("update:2", "{\"b\":1}", 0)]
    );
    // Only what was not touched since the given instant.
    let older = s
        .unfinished_inbound(
            h,
            "telegram",
            f.clock.now() - Duration::milliseconds(500),
            10,
        )
        .await
        .unwrap();
    assert_eq!(older.len(), 1);

    assert_eq!(
        s.begin_inbound(h, "telegram", "update:1").await.unwrap(),
        InboxBegin::Fresh
    );
    // A second begin without a finish: the first turn was interrupted.
    assert_eq!(
        s.begin_inbound(h, "telegram", "update:1").await.unwrap(),
        InboxBegin::Interrupted { attempts: 1 }
    );
    assert!(s.finish_inbound(h, "telegram", "update:1").await.unwrap());
    assert!(!s.finish_inbound(h, "telegram", "update:1").await.unwrap());
    assert_eq!(
        s.begin_inbound(h, "telegram", "update:1").await.unwrap(),
        InboxBegin::Done
    );
    assert_eq!(
        s.begin_inbound(h, "telegram", "update:9").await.unwrap(),
        InboxBegin::Missing
    );
    // An answered delivery is still recognised, and no longer listed.
    assert!(
        !s.journal_inbound(h, "telegram", "update:1", "{}")
            .await
            .unwrap()
    );
    let open = s
        .unfinished_inbound(h, "telegram", f.clock.now(), 10)
        .await
        .unwrap();
    assert_eq!(
        open.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
        ["update:2"]
    );

    // Pruning forgets answered deliveries finished before the instant, and only those.
    f.clock.advance(Duration::days(2));
    assert_eq!(
        s.prune_inbound(h, f.clock.now() - Duration::days(1))
            .await
            .unwrap(),
        1
    );
    assert!(
        s.journal_inbound(h, "telegram", "update:1", "{}")
            .await
            .unwrap()
    );
    assert_eq!(
        s.unfinished_inbound(h, "telegram", f.clock.now(), 10)
            .await
            .unwrap()
            .len(),
        2
    );

    // Bad input is refused with the field named, and nothing is stored.
    let err = s
        .journal_inbound(h, "telegram", " ", "{}")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("inbox key"), "{err}");
    let err = s
        .journal_inbound(h, "telegram", "k", "a\0b")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("inbox payload"), "{err}");
    assert!(
        !s.unfinished_inbound(h, "telegram", f.clock.now(), 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.key == "k")
    );
}

pub async fn another_household_sees_no_inbox(f: Fixture) {
    let (home, _) = f.household("Home").await;
    let (other, _) = f.household("Other").await;
    let s = &f.store;
    assert!(
        s.journal_inbound(home.id, "telegram", "update:7", "mine")
            .await
            .unwrap()
    );
    assert!(
        s.unfinished_inbound(other.id, "telegram", f.clock.now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.begin_inbound(other.id, "telegram", "update:7")
            .await
            .unwrap(),
        InboxBegin::Missing
    );
    assert!(
        !s.finish_inbound(other.id, "telegram", "update:7")
            .await
            .unwrap()
    );
    // The other household journals the same key as its own delivery.
    assert!(
        s.journal_inbound(other.id, "telegram", "update:7", "theirs")
            .await
            .unwrap()
    );
    let mine = s
        .unfinished_inbound(home.id, "telegram", f.clock.now(), 10)
        .await
        .unwrap();
    assert_eq!(mine[0].payload, "mine");
    assert_eq!(mine[0].attempts, 0);
    let err = s
        .journal_inbound(HouseholdId::new(), "telegram", "update:8", "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { what: "household" }),
        "{err}"
    );
}
