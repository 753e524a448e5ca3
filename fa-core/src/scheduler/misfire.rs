//! What a runner does with a claimed occurrence, decided from values alone: run it or skip it,
//! whether it is late, and what comes next for its job. Pure, so every misfire policy is tested
//! without a database.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{Job, MisfirePolicy, NextStep, Occurrence, Result};

/// The most missed firings of one job that `fire_all` replays after downtime; older ones are
/// skipped (and counted in the detail), so a long outage cannot flood a member.
pub const MAX_CATCH_UP: usize = 100;

/// Instants visited at most when counting what a recurring job missed.
const COUNT_LIMIT: usize = 10_000;

/// The decision for one occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Run the handler (otherwise the occurrence is skipped).
    pub run: bool,
    /// Later than the lateness threshold: marked late and summarised.
    pub late: bool,
    /// Why it is skipped, or what was coalesced into it.
    pub detail: Option<String>,
    /// What becomes of the job.
    pub next: NextStep,
}

/// Decides what to do with `occurrence` of `job` at `now`. An occurrence is late when `now` is
/// more than `late_after` past its due instant; then the job's misfire policy and grace window
/// apply.
pub(crate) fn plan(
    job: &Job,
    occurrence: &Occurrence,
    now: DateTime<Utc>,
    late_after: Duration,
) -> Result<Plan> {
    let lateness = (now - occurrence.due_at).to_std().unwrap_or(Duration::ZERO);
    let late = lateness > late_after;
    let within_grace = job.grace.is_none_or(|grace| lateness <= grace);
    let run = !late || (job.misfire != MisfirePolicy::Skip && within_grace);
    let mut detail = match (run, late) {
        (false, _) if job.misfire == MisfirePolicy::Skip => Some(format!(
            "missed: {} late and the job's misfire policy is skip",
            human(lateness)
        )),
        (false, _) => Some(format!(
            "missed: {} late, past the job's grace window of {}",
            human(lateness),
            human(job.grace.unwrap_or_default())
        )),
        _ => None,
    };
    let next = if occurrence.snoozed_from.is_some() {
        // A snoozed repeat is an extra firing; the job's own chain goes on without it.
        NextStep::Nothing
    } else if !job.trigger.is_recurring() {
        NextStep::Complete
    } else if !late {
        due(job
            .trigger
            .next_after(job.timezone, occurrence.scheduled_at)?)
    } else {
        let missed = missed_between(job, occurrence.scheduled_at, now)?;
        match job.misfire {
            MisfirePolicy::FireAll if missed.len() <= MAX_CATCH_UP => due(job
                .trigger
                .next_after(job.timezone, occurrence.scheduled_at)?),
            MisfirePolicy::FireAll => {
                let dropped = missed.len() - MAX_CATCH_UP;
                append(
                    &mut detail,
                    format!(
                        "{dropped} older missed firings were skipped (catch-up limit {MAX_CATCH_UP})"
                    ),
                );
                due(missed.get(dropped).copied())
            }
            MisfirePolicy::FireOnce | MisfirePolicy::Skip => {
                if !missed.is_empty() {
                    let what = if run {
                        "coalesced into this one"
                    } else {
                        "skipped"
                    };
                    append(
                        &mut detail,
                        format!("{} more missed firings {what}", missed.len()),
                    );
                }
                due(job.trigger.next_after(job.timezone, now)?)
            }
        }
    };
    Ok(Plan {
        run,
        late,
        detail,
        next,
    })
}

fn due(next: Option<DateTime<Utc>>) -> NextStep {
    next.map_or(NextStep::Complete, NextStep::Due)
}

fn append(detail: &mut Option<String>, more: String) {
    *detail = Some(match detail.take() {
        Some(d) => format!("{d}; {more}"),
        None => more,
    });
}

/// The job's firings strictly after `from` and at or before `now`.
fn missed_between(
    job: &Job,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>> {
    let mut missed = Vec::new();
    let mut at = from;
    while missed.len() < COUNT_LIMIT {
        match job.trigger.next_after(job.timezone, at)? {
            Some(next) if next <= now => {
                missed.push(next);
                at = next;
            }
            _ => break,
        }
    }
    Ok(missed)
}

/// "3 s", "2 min", "1 h 5 min": lateness as a person reads it.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3_599 => format!("{} min", secs / 60),
        _ if secs % 3_600 / 60 == 0 => format!("{} h", secs / 3_600),
        _ => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
    }
}
