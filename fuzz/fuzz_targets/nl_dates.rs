//! Fuzzes the natural-language date parser: any UTF-8 input must parse or fail cleanly, never
//! panic, and every result must lie after `now` and within ten years.
//!
//! Run from the fuzz directory: `cargo +nightly fuzz run nl_dates`.

#![no_main]

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use fa_core::dates::{When, parse_reminder, parse_when};
use libfuzzer_sys::fuzz_target;

/// Fixed moments to parse against, picked by the input's length so one corpus exercises all of
/// them: an ordinary Wednesday, and the eves of the 2026 DST changes in Berlin and New York.
const CONTEXTS: [(i64, Tz); 5] = [
    (1_794_996_900, chrono_tz::Europe::Berlin), // 2026-11-18T10:15:00Z
    (1_774_699_200, chrono_tz::Europe::Berlin), // 2026-03-28T12:00:00Z
    (1_792_843_200, chrono_tz::Europe::Berlin), // 2026-10-24T12:00:00Z
    (1_772_902_800, chrono_tz::America::New_York), // 2026-03-07T17:00:00Z
    (1_793_462_400, chrono_tz::America::New_York), // 2026-10-31T16:00:00Z
];

fn check(when: &When, now: DateTime<Utc>) {
    let latest = now + Duration::days(3653);
    let at = match when {
        When::Once(at) => *at,
        When::Recurring { first, rule, .. } => {
            assert!(rule.starts_with("FREQ="), "rule {rule:?}");
            *first
        }
    };
    assert!(
        at > now && at <= latest,
        "{at} is not within (now, now + 10 years]"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (secs, tz) = CONTEXTS[data.len() % CONTEXTS.len()];
    let Some(now) = Utc.timestamp_opt(secs, 0).single() else {
        return;
    };
    if let Ok(when) = parse_when(text, now, tz) {
        check(&when, now);
    }
    if let Ok((when, rest)) = parse_reminder(text, now, tz) {
        check(&when, now);
        assert!(!rest.trim().is_empty(), "empty reminder text for {text:?}");
    }
});
