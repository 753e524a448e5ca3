//! Pure routing: which members receive an event, when, and in what form. Values in, values out;
//! no clock reads, no I/O.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::scheduler::resolve_local;
use crate::{
    DeliveryMode, InboundEvent, MemberId, NewNotification, QuietHours, RouteAction, RouteRule,
    RoutedDelivery,
};

/// What routing needs to know about an event, as its source reads it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RoutableEvent {
    /// The event's type, matched against the rules' kinds (e.g. `ORDER_CHANGE`).
    pub kind: String,
    /// Its amount, for rules with a minimum amount (an order's total, say).
    pub amount: Option<f64>,
    /// Its marketplace, for rules limited to some.
    pub marketplace: Option<String>,
    /// The message a member receives for it alone.
    pub text: String,
    /// Its one line in a digest.
    pub line: String,
}

impl RoutableEvent {
    /// An event of `kind` with its message; the digest line is the message's first line.
    pub fn new(kind: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line = text.lines().next().unwrap_or_default().to_owned();
        Self {
            kind: kind.into(),
            amount: None,
            marketplace: None,
            text,
            line,
        }
    }

    /// Sets the amount.
    pub fn amount(mut self, amount: f64) -> Self {
        self.amount = Some(amount);
        self
    }

    /// Sets the marketplace.
    pub fn marketplace(mut self, marketplace: impl Into<String>) -> Self {
        self.marketplace = Some(marketplace.into());
        self
    }

    /// Sets the digest line.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.line = line.into();
        self
    }

    /// What a source that cannot read an event shows: its type and where it came from, so it
    /// is still routable by type name.
    pub fn generic(event: &InboundEvent) -> Self {
        Self::new(
            event.kind.clone(),
            format!("{} event from {}", event.kind, event.source),
        )
    }
}

/// Whether `rule` matches `event`.
pub fn rule_matches(rule: &RouteRule, event: &RoutableEvent) -> bool {
    let spec = &rule.spec;
    let kind_ok = spec.kinds.is_empty() || spec.kinds.iter().any(|k| k == &event.kind);
    let amount_ok = match (spec.min_amount, event.amount) {
        (Some(min), Some(amount)) => amount >= min,
        _ => true,
    };
    let marketplace_ok = match &event.marketplace {
        Some(marketplace) if !spec.marketplaces.is_empty() => {
            spec.marketplaces.iter().any(|m| m == marketplace)
        }
        _ => true,
    };
    kind_ok && amount_ok && marketplace_ok
}

/// The deliveries of one event at `now`: for each member, the first of their rules (oldest
/// first, as stored) that matches decides. Members missing from `timezones` (removed since the
/// rule was written) receive nothing. Immediate messages carry the key `event:<event id>`, so
/// the outbox writes one per member and event however often this runs.
pub fn plan_deliveries(
    event_id: crate::InboundEventId,
    event: &RoutableEvent,
    rules: &[RouteRule],
    timezones: &HashMap<MemberId, Tz>,
    now: DateTime<Utc>,
) -> Vec<RoutedDelivery> {
    let mut decided = HashSet::new();
    let mut deliveries = Vec::new();
    for rule in rules {
        let Some(tz) = timezones.get(&rule.member_id) else {
            continue;
        };
        if decided.contains(&rule.member_id) || !rule_matches(rule, event) {
            continue;
        }
        decided.insert(rule.member_id);
        let quiet = rule.spec.quiet_hours;
        let action = match rule.spec.delivery {
            DeliveryMode::Immediate => {
                let mut notification = NewNotification::new(
                    rule.spec.channel.clone(),
                    format!("event:{event_id}"),
                    event.text.clone(),
                );
                if let Some(held) = quiet.and_then(|q| quiet_end(q, *tz, now)) {
                    notification = notification.not_before(held);
                }
                RouteAction::Notify(notification)
            }
            DeliveryMode::HourlyDigest | DeliveryMode::DailyDigest { .. } => {
                let due = digest_due(rule.spec.delivery, *tz, now);
                let due = quiet.and_then(|q| quiet_end(q, *tz, due)).unwrap_or(due);
                RouteAction::Digest {
                    channel: rule.spec.channel.clone(),
                    line: event.line.clone(),
                    due_at: due,
                }
            }
        };
        deliveries.push(RoutedDelivery {
            member_id: rule.member_id,
            action,
        });
    }
    deliveries
}

/// When the quiet hours holding `at` end, or `None` if `at` is not in them.
pub fn quiet_end(quiet: QuietHours, tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = at.with_timezone(&tz);
    let minute = u16::try_from(local.hour() * 60 + local.minute()).ok()?;
    if !quiet.contains(minute) {
        return None;
    }
    Some(next_local_minute(quiet.end_minute, tz, at))
}

/// When a digest of `mode` that collects events arriving at `now` goes out.
pub fn digest_due(mode: DeliveryMode, tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    match mode {
        DeliveryMode::DailyDigest { minute } => next_local_minute(minute, tz, now),
        // Immediate has no digest; treat it as the next hour rather than fail. The next top of
        // the hour on the member's clock, in real time: across an autumn overlap that is the
        // repeated 01:00, an hour on, not the 02:00 two hours on.
        _ => {
            let local = now.with_timezone(&tz);
            let into_hour = Duration::minutes(i64::from(local.minute()))
                + Duration::seconds(i64::from(local.second()))
                + Duration::nanoseconds(i64::from(local.nanosecond()));
            now - into_hour + Duration::hours(1)
        }
    }
}

/// The first instant after `at` whose wall clock in `tz` shows `minute` after midnight (a time
/// inside a DST gap fires at the gap's end, as the scheduler does).
fn next_local_minute(minute: u16, tz: Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let local = at.with_timezone(&tz).naive_local();
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)
        .unwrap_or_default();
    let mut day = local.date();
    for _ in 0..3 {
        let candidate = resolve_local(day.and_time(time), tz);
        if candidate > at {
            return candidate;
        }
        day = day.succ_opt().unwrap_or(day);
    }
    at + Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HouseholdId, InboundEventId, RouteRuleId, RouteSpec};

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    fn rule(member: MemberId, spec: RouteSpec) -> RouteRule {
        RouteRule {
            id: RouteRuleId::new(),
            household_id: HouseholdId::new(),
            member_id: member,
            spec,
            created_at: utc("2026-01-01T00:00:00Z"),
        }
    }

    fn order(amount: f64, marketplace: &str) -> RoutableEvent {
        RoutableEvent::new("ORDER_CHANGE", "New order 123")
            .amount(amount)
            .marketplace(marketplace)
    }

    #[test]
    fn conditions_must_all_hold() {
        let m = MemberId::new();
        let r = rule(
            m,
            RouteSpec::all()
                .kinds(["ORDER_CHANGE"])
                .min_amount(50.0)
                .marketplaces(["A1PA6795UKMFR9"]),
        );
        assert!(rule_matches(&r, &order(50.0, "A1PA6795UKMFR9")));
        assert!(!rule_matches(&r, &order(49.99, "A1PA6795UKMFR9")));
        assert!(!rule_matches(&r, &order(80.0, "ATVPDKIKX0DER")));
        assert!(!rule_matches(
            &r,
            &RoutableEvent::new("ANY_OFFER_CHANGED", "price")
        ));
        // No amount and no marketplace: the amount and marketplace conditions do not apply.
        assert!(rule_matches(&r, &RoutableEvent::new("ORDER_CHANGE", "x")));
    }

    #[test]
    fn a_members_first_matching_rule_decides_and_others_get_their_own() {
        let (ana, ben) = (MemberId::new(), MemberId::new());
        let rules = vec![
            rule(ana, RouteSpec::all().kinds(["REPORT_PROCESSING_FINISHED"])),
            rule(ana, RouteSpec::all().delivery(DeliveryMode::HourlyDigest)),
            rule(ana, RouteSpec::all()),
            rule(ben, RouteSpec::all().min_amount(100.0)),
        ];
        let zones = HashMap::from([(ana, Tz::UTC), (ben, Tz::UTC)]);
        let id = InboundEventId::new();
        let now = utc("2026-06-01T10:20:00Z");
        let out = plan_deliveries(id, &order(20.0, "X"), &rules, &zones, now);
        assert_eq!(out.len(), 1, "ben's threshold excludes him: {out:?}");
        assert_eq!(out[0].member_id, ana);
        assert_eq!(
            out[0].action,
            RouteAction::Digest {
                channel: crate::scheduler::DEFAULT_CHANNEL.into(),
                line: "New order 123".into(),
                due_at: utc("2026-06-01T11:00:00Z"),
            }
        );
        let out = plan_deliveries(id, &order(120.0, "X"), &rules, &zones, now);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1].action,
            RouteAction::Notify(NewNotification::new(
                crate::scheduler::DEFAULT_CHANNEL,
                format!("event:{id}"),
                "New order 123"
            ))
        );
    }

    #[test]
    fn removed_members_receive_nothing() {
        let gone = MemberId::new();
        let out = plan_deliveries(
            InboundEventId::new(),
            &order(1.0, "X"),
            &[rule(gone, RouteSpec::all())],
            &HashMap::new(),
            utc("2026-06-01T10:00:00Z"),
        );
        assert!(out.is_empty());
    }

    #[test]
    fn quiet_hours_hold_until_they_end_on_the_members_clock() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        let quiet = QuietHours::new((22, 0), (7, 30));
        // 23:10 CEST → held until 07:30 CEST next day.
        assert_eq!(
            quiet_end(quiet, berlin, utc("2026-06-01T21:10:00Z")),
            Some(utc("2026-06-02T05:30:00Z"))
        );
        // 06:00 CEST → held until 07:30 the same day.
        assert_eq!(
            quiet_end(quiet, berlin, utc("2026-06-02T04:00:00Z")),
            Some(utc("2026-06-02T05:30:00Z"))
        );
        // 12:00 CEST → not quiet.
        assert_eq!(quiet_end(quiet, berlin, utc("2026-06-02T10:00:00Z")), None);
        // A window that does not span midnight.
        let lunch = QuietHours::new((12, 0), (13, 0));
        assert!(lunch.contains(12 * 60) && !lunch.contains(13 * 60) && !lunch.contains(0));
        assert!(!QuietHours::new((9, 0), (9, 0)).contains(9 * 60));
    }

    #[test]
    fn digests_are_due_on_the_members_clock_and_after_quiet_hours() {
        let ny: Tz = "America/New_York".parse().unwrap_or(Tz::UTC);
        let daily = DeliveryMode::DailyDigest { minute: 18 * 60 };
        // 17:59 EDT → 18:00 today; 18:00 EDT exactly → tomorrow.
        assert_eq!(
            digest_due(daily, ny, utc("2026-06-01T21:59:00Z")),
            utc("2026-06-01T22:00:00Z")
        );
        assert_eq!(
            digest_due(daily, ny, utc("2026-06-01T22:00:00Z")),
            utc("2026-06-02T22:00:00Z")
        );
        // Hourly, across the autumn overlap: 01:30 EDT → the repeated 01:00 (EST), 30 min on.
        assert_eq!(
            digest_due(DeliveryMode::HourlyDigest, ny, utc("2026-11-01T05:30:00Z")),
            utc("2026-11-01T06:00:00Z")
        );
        // A half-hour zone: 10:10 in Kolkata (UTC+5:30) → 11:00 there.
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(
            digest_due(
                DeliveryMode::HourlyDigest,
                kolkata,
                utc("2026-06-01T04:40:00Z")
            ),
            utc("2026-06-01T05:30:00Z")
        );

        let m = MemberId::new();
        let spec = RouteSpec::all()
            .delivery(DeliveryMode::HourlyDigest)
            .quiet_hours(QuietHours::new((22, 0), (7, 0)));
        let out = plan_deliveries(
            InboundEventId::new(),
            &order(1.0, "X"),
            &[rule(m, spec)],
            &HashMap::from([(m, Tz::UTC)]),
            utc("2026-06-01T21:30:00Z"),
        );
        // The 22:00 digest falls in quiet hours: it waits for 07:00.
        assert!(matches!(
            &out[0].action,
            RouteAction::Digest { due_at, .. } if *due_at == utc("2026-06-02T07:00:00Z")
        ));
    }
}
