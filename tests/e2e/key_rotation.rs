//! The operator's key rotation, as docs/CONFIGURATION.md describes it, on every backend:
//! 1. the app runs with key A; 2. the operator sets FA_MASTER_KEY=B and FA_MASTER_KEY_PREVIOUS=A
//!    and restarts — everything still reads; 3. `rotate` re-seals; 4. A is dropped — everything
//!    still reads, and a vault with only A reads nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fa_core::*;
use fa_tests::peers;

fn env(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

#[tokio::test]
async fn rotating_the_master_key_keeps_every_credential_readable() {
    let dir = tempfile::tempdir().unwrap();
    let key_a = STANDARD.encode([0xA1; 32]);
    let key_b = STANDARD.encode([0xB2; 32]);
    for (backend, store) in peers::every_backend(dir.path()).await.unwrap() {
        let vault_a = Vault::from_lookup(env(vec![("FA_MASTER_KEY", key_a.clone())])).unwrap();
        let mut held = Vec::new();
        for family in ["Millers", "Okafors"] {
            let home = store.create_household(family).await.unwrap();
            let owner = store
                .add_member(home.id, NewMember::new("Owner", Role::Owner))
                .await
                .unwrap();
            let shop = store
                .create_integration(owner.scope(), NewIntegration::new("amazon_sp_api", "Shop"))
                .await
                .unwrap();
            let token = format!("Atzr|{family}-{backend}");
            vault_a
                .store_credential(&*store, owner.scope(), shop.id, &Secret::new(token.clone()))
                .await
                .unwrap();
            held.push((owner.scope(), shop.id, token));
        }

        let vault_b_with_a = Vault::from_lookup(env(vec![
            ("FA_MASTER_KEY", key_b.clone()),
            ("FA_MASTER_KEY_PREVIOUS", key_a.clone()),
        ]))
        .unwrap();
        for (scope, id, token) in &held {
            let read = vault_b_with_a
                .load_credential(&*store, *scope, *id)
                .await
                .unwrap();
            assert_eq!(read.unwrap().expose(), token, "{backend}: before rotation");
        }
        let report = vault_b_with_a.rotate(&*store).await.unwrap();
        assert_eq!((report.rotated, report.failed.len()), (2, 0), "{backend}");

        let vault_b = Vault::from_lookup(env(vec![("FA_MASTER_KEY", key_b.clone())])).unwrap();
        for (scope, id, token) in &held {
            let read = vault_b.load_credential(&*store, *scope, *id).await.unwrap();
            assert_eq!(read.unwrap().expose(), token, "{backend}: after rotation");
            let err = vault_a
                .load_credential(&*store, *scope, *id)
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::UnknownKey { .. }),
                "{backend}: {err:?}"
            );
        }
    }
}
