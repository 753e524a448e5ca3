//! Rows of the scheduler's tables, and the column lists shared by its queries. Occurrence columns are selected with an `o_` prefix so a job
//! and its occurrence can be read from one joined row.

use uuid::Uuid;

use super::instant;
use crate::scheduler::Trigger;
use crate::*;

/// The job columns, for `SELECT … FROM fa_jobs j`.
macro_rules! job_columns {
    () => {
        "j.id, j.household_id, j.member_id, j.kind, j.payload, j.trigger_spec, j.timezone, \
         j.channel, j.misfire, j.grace_us, j.state, j.created_at, j.updated_at"
    };
}

/// The occurrence columns, for `SELECT … FROM fa_occurrences o`.
macro_rules! occurrence_columns {
    () => {
        "o.id AS o_id, o.household_id AS o_household_id, o.member_id AS o_member_id, \
         o.job_id AS o_job_id, o.scheduled_at AS o_scheduled_at, o.due_at AS o_due_at, \
         o.state AS o_state, o.claims AS o_claims, o.fired_at AS o_fired_at, o.late AS o_late, \
         o.detail AS o_detail, o.notification_id AS o_notification_id, \
         o.snoozed_from AS o_snoozed_from, o.acknowledged_at AS o_acknowledged_at"
    };
}

/// The outbox columns, in `NotificationRow`'s order (for `SELECT`, `INSERT` and `RETURNING`).
macro_rules! notification_columns {
    () => {
        "id, household_id, member_id, channel, idempotency_key, body, status, attempts, \
         next_attempt_at, created_at, updated_at"
    };
}

pub(crate) use {job_columns, notification_columns, occurrence_columns};

fn corrupt(what: &'static str) -> impl Fn(Error) -> Error {
    move |e| Error::corrupt(what, e.to_string())
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    kind: String,
    payload: String,
    trigger_spec: String,
    timezone: String,
    channel: String,
    misfire: String,
    grace_us: Option<i64>,
    state: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<JobRow> for Job {
    type Error = Error;

    fn try_from(row: JobRow) -> Result<Self> {
        fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
            serde_json::from_str(text).map_err(|e| Error::corrupt("job", e.to_string()))
        }
        let trigger: Trigger = json(&row.trigger_spec)?;
        Ok(Job {
            id: row.id.into(),
            household_id: row.household_id.into(),
            member_id: row.member_id.into(),
            kind: row.kind,
            payload: json(&row.payload)?,
            trigger,
            timezone: parse_timezone(&row.timezone).map_err(corrupt("job"))?,
            channel: row.channel,
            misfire: row.misfire.parse().map_err(corrupt("job"))?,
            grace: row
                .grace_us
                .map(|us| {
                    u64::try_from(us)
                        .map(std::time::Duration::from_micros)
                        .map_err(|_| Error::corrupt("job", format!("grace {us} is negative")))
                })
                .transpose()?,
            state: row.state.parse().map_err(corrupt("job"))?,
            created_at: instant("job", row.created_at)?,
            updated_at: instant("job", row.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OccurrenceRow {
    o_id: Uuid,
    o_household_id: Uuid,
    o_member_id: Uuid,
    o_job_id: Uuid,
    o_scheduled_at: i64,
    o_due_at: i64,
    o_state: String,
    o_claims: i64,
    o_fired_at: Option<i64>,
    o_late: bool,
    o_detail: Option<String>,
    o_notification_id: Option<Uuid>,
    o_snoozed_from: Option<Uuid>,
    o_acknowledged_at: Option<i64>,
}

impl TryFrom<OccurrenceRow> for Occurrence {
    type Error = Error;

    fn try_from(row: OccurrenceRow) -> Result<Self> {
        let at = |t: i64| instant("occurrence", t);
        Ok(Occurrence {
            id: row.o_id.into(),
            job_id: row.o_job_id.into(),
            household_id: row.o_household_id.into(),
            member_id: row.o_member_id.into(),
            scheduled_at: at(row.o_scheduled_at)?,
            due_at: at(row.o_due_at)?,
            state: row.o_state.parse().map_err(corrupt("occurrence"))?,
            claims: u32::try_from(row.o_claims).map_err(|_| {
                Error::corrupt("occurrence", format!("claim count {}", row.o_claims))
            })?,
            fired_at: row.o_fired_at.map(at).transpose()?,
            late: row.o_late,
            detail: row.o_detail,
            notification_id: row.o_notification_id.map(Into::into),
            snoozed_from: row.o_snoozed_from.map(Into::into),
            acknowledged_at: row.o_acknowledged_at.map(at).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobOccurrenceRow {
    #[sqlx(flatten)]
    job: JobRow,
    #[sqlx(flatten)]
    occurrence: OccurrenceRow,
}

impl TryFrom<JobOccurrenceRow> for JobOccurrence {
    type Error = Error;

    fn try_from(row: JobOccurrenceRow) -> Result<Self> {
        Ok(JobOccurrence {
            job: row.job.try_into()?,
            occurrence: row.occurrence.try_into()?,
        })
    }
}
