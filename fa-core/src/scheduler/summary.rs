//! The one short message a member gets after downtime: what was missed and what was sent late.

use crate::{JobOccurrence, MemberScope, NewNotification, OccurrenceId, OccurrenceState};

/// Lines listed before "…and N more".
const MAX_LINES: usize = 15;

/// One summary to enqueue for a member, and the occurrences it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberSummary {
    pub scope: MemberScope,
    pub occurrences: Vec<OccurrenceId>,
    pub notification: NewNotification,
}

/// Groups summary items (ordered by member, as the store returns them) into one message per
/// member.
pub(crate) fn compose(items: &[JobOccurrence]) -> Vec<MemberSummary> {
    let mut summaries = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let scope = scope_of(&items[start]);
        let end = items[start..]
            .iter()
            .position(|item| scope_of(item) != scope)
            .map_or(items.len(), |n| start + n);
        summaries.push(compose_one(scope, &items[start..end]));
        start = end;
    }
    summaries
}

fn scope_of(item: &JobOccurrence) -> MemberScope {
    MemberScope::new(item.occurrence.household_id, item.occurrence.member_id)
}

fn compose_one(scope: MemberScope, items: &[JobOccurrence]) -> MemberSummary {
    let missed = items
        .iter()
        .filter(|i| i.occurrence.state == OccurrenceState::Skipped)
        .count();
    let late = items.len() - missed;
    let mut text = format!(
        "While I was offline, {} and {}:",
        plural(missed, "firing was missed", "firings were missed"),
        plural(late, "was sent late", "were sent late"),
    );
    for item in items.iter().take(MAX_LINES) {
        let tz = item.job.timezone;
        let due = item.occurrence.due_at.with_timezone(&tz);
        let what = super::builtin::describe(&item.job);
        let outcome = match (item.occurrence.state, item.occurrence.fired_at) {
            (OccurrenceState::Skipped, _) => "missed".to_owned(),
            (_, Some(fired)) => {
                format!("sent late at {}", fired.with_timezone(&tz).format("%H:%M"))
            }
            (state, None) => state.to_string(),
        };
        text.push_str(&format!(
            "\n• {} {what} — {outcome}",
            due.format("%a %H:%M")
        ));
    }
    if items.len() > MAX_LINES {
        text.push_str(&format!("\n…and {} more", items.len() - MAX_LINES));
    }
    let first = &items[0];
    MemberSummary {
        scope,
        occurrences: items.iter().map(|i| i.occurrence.id).collect(),
        notification: NewNotification::new(
            first.job.channel.clone(),
            format!("summary:{}", first.occurrence.id),
            text,
        ),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
