//! Who may talk to the assistant: members only. A stranger joins with the owner's one-time
//! setup code or an invite code (`/start CODE`); anyone else gets one polite refusal, and
//! nothing they send is processed or stored.

use std::collections::HashSet;
use std::sync::Mutex;

use subtle::ConstantTimeEq;

use crate::{MemberScope, Secret};

/// How many refused senders are remembered (so each is refused once); past it the memory
/// starts over.
const MAX_REFUSED: usize = 10_000;

/// The refusal a stranger gets, once.
pub(crate) const REFUSAL: &str = "Sorry, this is a private family assistant and you are not a \
    member of its household. If you were given an invite code, send /start followed by the code.";

#[derive(Default)]
pub(crate) struct Gate {
    setup: Mutex<Option<(MemberScope, Secret)>>,
    refused: Mutex<HashSet<(String, String)>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").finish_non_exhaustive()
    }
}

impl Gate {
    pub(crate) fn with_setup(owner: MemberScope, code: Secret) -> Self {
        Self {
            setup: Mutex::new(Some((owner, code))),
            refused: Mutex::default(),
        }
    }

    /// The owner, if `code` is the setup code; the code is spent by a match.
    pub(crate) fn take_setup(&self, code: &str) -> Option<MemberScope> {
        let mut setup = self.setup.lock().ok()?;
        let matches = setup.as_ref().is_some_and(|(_, expected)| {
            bool::from(expected.expose().as_bytes().ct_eq(code.as_bytes()))
        });
        if matches {
            setup.take().map(|(owner, _)| owner)
        } else {
            None
        }
    }

    /// Whether this is the first refusal of the sender (then they are told, else ignored).
    pub(crate) fn first_refusal(&self, channel: &str, sender: &str) -> bool {
        let Ok(mut refused) = self.refused.lock() else {
            return false;
        };
        if refused.len() >= MAX_REFUSED {
            refused.clear();
        }
        refused.insert((channel.to_owned(), sender.to_owned()))
    }
}

/// The code in `/start CODE` (also `/start@bot CODE`): Telegram's deep-link payload alphabet,
/// `A-Z a-z 0-9 _ -`, 1–64 characters.
pub(crate) fn start_code(text: &str) -> Option<&str> {
    let rest = text.trim().strip_prefix("/start")?;
    let rest = match rest.strip_prefix('@') {
        Some(bot) => bot.split_once(char::is_whitespace)?.1,
        None if rest.starts_with(char::is_whitespace) => rest,
        None => return None,
    };
    let code = rest.trim();
    let valid = (1..=64).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    valid.then_some(code)
}

/// A fresh code: 16 characters from an alphabet without look-alikes.
pub fn new_code() -> crate::Result<Secret> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    crate::vault::fill_random(&mut bytes)?;
    let code: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(Secret::new(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_codes_are_read_from_start_commands_only() {
        assert_eq!(start_code("/start ABC_12-x"), Some("ABC_12-x"));
        assert_eq!(start_code("  /start   CODE  "), Some("CODE"));
        assert_eq!(start_code("/start@family_bot CODE"), Some("CODE"));
        assert_eq!(start_code("/start"), None);
        assert_eq!(start_code("/startCODE"), None);
        assert_eq!(start_code("/start co de"), None);
        assert_eq!(start_code("/start côde"), None);
        assert_eq!(start_code(&format!("/start {}", "a".repeat(65))), None);
        assert_eq!(start_code("hello /start CODE"), None);
    }

    #[test]
    fn the_setup_code_works_once_and_only_when_it_matches() {
        let owner = MemberScope::new(crate::HouseholdId::new(), crate::MemberId::new());
        let gate = Gate::with_setup(owner, Secret::new("SETUP1"));
        assert_eq!(gate.take_setup("SETUP2"), None);
        assert_eq!(gate.take_setup("SETUP"), None);
        assert_eq!(gate.take_setup("SETUP1"), Some(owner));
        assert_eq!(gate.take_setup("SETUP1"), None);
    }

    #[test]
    fn a_stranger_is_refused_once() {
        let gate = Gate::default();
        assert!(gate.first_refusal("telegram", "42"));
        assert!(!gate.first_refusal("telegram", "42"));
        assert!(gate.first_refusal("console", "42"));
    }

    #[test]
    fn codes_are_sixteen_unambiguous_characters() -> crate::Result<()> {
        let a = new_code()?;
        let b = new_code()?;
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert!(a.expose().chars().all(|c| !"01IO".contains(c)));
        assert!(start_code(&format!("/start {}", a.expose())).is_some());
        Ok(())
    }
}
