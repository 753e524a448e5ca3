//! The busy-time cache: the sync job reads each connection's busy time for the coming weeks and
//! keeps it in the connection's settings, so the slot finder answers without calling every
//! provider. A cache older than the caller's limit, or not covering the range asked, is not
//! used: the provider is asked instead (and when the provider is down, a stale cache is used
//! and the answer says so).

use chrono::{DateTime, Duration, TimeZone, Utc};
use fa_core::{HouseholdId, IntegrationId, MemberScope};
use serde::{Deserialize, Serialize};

use super::{CalendarAccounts, CalendarConnection};
use crate::slots::Interval;
use crate::{Error, Result};

/// At most this many busy intervals are kept per connection (about 50 KB of settings); a sync
/// that finds more keeps the earliest and shortens the range it covers.
pub const MAX_CACHED: usize = 2000;

/// Busy time of one connection as of a sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BusyCache {
    /// When it was read.
    pub synced_at: DateTime<Utc>,
    /// The start of the range read.
    pub from: DateTime<Utc>,
    /// The end of the range read (a range with more than [`MAX_CACHED`] intervals ends early).
    pub to: DateTime<Utc>,
    /// The calendars read (the connection's busy calendars then); a cache of other calendars
    /// is not used.
    #[serde(default)]
    pub calendars: Vec<String>,
    /// Busy intervals as Unix seconds `[start, end)`, merged, by start.
    pub busy: Vec<(i64, i64)>,
}

impl BusyCache {
    fn covers(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.from <= from && to <= self.to
    }

    fn intervals(&self, range: Interval) -> Vec<Interval> {
        self.busy
            .iter()
            .filter_map(|&(s, e)| {
                let start = Utc.timestamp_opt(s, 0).single()?;
                let end = Utc.timestamp_opt(e, 0).single()?;
                Some(Interval::new(start, end))
            })
            .filter(|i| i.overlaps(&range))
            .collect()
    }
}

/// A member's busy time over a range, and which connections could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Busy {
    /// Busy intervals from every connection (unsorted, may overlap).
    pub intervals: Vec<Interval>,
    /// Connections answered from an older cache because the provider could not be reached.
    pub stale: Vec<String>,
    /// Connections that could not be read at all (their busy time is missing).
    pub unread: Vec<String>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Connections read.
    pub synced: u32,
    /// Busy intervals cached.
    pub intervals: u32,
    /// Connections that failed, with why.
    pub failed: Vec<String>,
}

/// Sorted, merged, in whole seconds; at most [`MAX_CACHED`], with the end of what is covered.
fn compact(mut busy: Vec<Interval>, to: DateTime<Utc>) -> (Vec<(i64, i64)>, DateTime<Utc>) {
    busy.retain(|i| !i.is_empty());
    busy.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(busy.len());
    for i in busy {
        let (s, e) = (i.start.timestamp(), i.end.timestamp());
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    if merged.len() > MAX_CACHED {
        let cut = merged[MAX_CACHED].0;
        merged.truncate(MAX_CACHED);
        let covered = Utc.timestamp_opt(cut, 0).single().unwrap_or(to);
        return (merged, covered.min(to));
    }
    (merged, to)
}

impl CalendarAccounts {
    /// Reads the busy time of the member's active connections for the next `days` days into
    /// the cache.
    pub async fn sync(&self, scope: MemberScope, days: u32) -> Result<SyncReport> {
        let (connections, failed) = self.open_active(scope).await?;
        let mut report = SyncReport {
            failed,
            ..SyncReport::default()
        };
        let from = self.now();
        let to = from + Duration::days(i64::from(days.clamp(1, 366)));
        for connection in connections {
            match self.sync_one(scope, &connection, from, to).await {
                Ok(n) => {
                    report.synced += 1;
                    report.intervals += n;
                }
                Err(error) => {
                    tracing::warn!(integration = %connection.integration.id, %error, "calendar sync failed");
                    report
                        .failed
                        .push(format!("{} ({error})", connection.integration.label));
                }
            }
        }
        Ok(report)
    }

    /// [`sync`](Self::sync) for every member of the household.
    pub async fn sync_household(&self, household: HouseholdId, days: u32) -> Result<SyncReport> {
        let mut total = SyncReport::default();
        for member in self.store.members(household).await? {
            if self.connections(member.scope()).await?.is_empty() {
                continue;
            }
            let report = self.sync(member.scope(), days).await?;
            total.synced += report.synced;
            total.intervals += report.intervals;
            total.failed.extend(report.failed);
        }
        Ok(total)
    }

    async fn sync_one(
        &self,
        scope: MemberScope,
        connection: &CalendarConnection,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u32> {
        let calendars = connection.busy_calendars().await?;
        let busy = connection.calendar.busy(&calendars, from, to).await?;
        // Written only if the settings still name the calendars that were read (a `/calendar
        // use` meanwhile wins).
        if connection_calendars(self, scope, connection.integration.id).await? != calendars {
            return Ok(0);
        }
        let intervals = busy.into_iter().map(|(s, e)| Interval::new(s, e)).collect();
        let (busy, covered) = compact(intervals, to);
        let n = u32::try_from(busy.len()).unwrap_or(u32::MAX);
        let cache = BusyCache {
            synced_at: self.now(),
            from,
            to: covered,
            calendars,
            busy,
        };
        self.store_cache(scope, connection.integration.id, cache)
            .await?;
        Ok(n)
    }

    /// Forgets a connection's busy cache (after fa changed its events), so the next answer
    /// reads the provider.
    pub async fn forget_busy(&self, scope: MemberScope, id: IntegrationId) -> Result<()> {
        self.change_settings(scope, id, |s| s.cache = None).await
    }

    async fn store_cache(
        &self,
        scope: MemberScope,
        id: IntegrationId,
        cache: BusyCache,
    ) -> Result<()> {
        self.change_settings(scope, id, |s| s.cache = Some(cache))
            .await
    }

    /// The member's busy time in `range`: from each connection's cache when it is younger than
    /// `max_age` and covers the range, else from the provider.
    pub async fn busy(
        &self,
        scope: MemberScope,
        range: Interval,
        max_age: std::time::Duration,
    ) -> Result<Busy> {
        let max_age =
            Duration::from_std(max_age).map_err(|_| Error::invalid("max_age", "it is too long"))?;
        let now = self.now();
        let (connections, unread) = self.open_active(scope).await?;
        let mut out = Busy {
            unread,
            ..Busy::default()
        };
        for connection in connections {
            // A cache is for the calendars it read and the range it covers.
            let calendars = connection.busy_calendars().await.unwrap_or_default();
            let cache = connection
                .settings
                .cache
                .as_ref()
                .filter(|c| c.calendars == calendars && c.covers(range.start, range.end));
            if let Some(cache) = cache.filter(|c| c.synced_at + max_age > now) {
                out.intervals.extend(cache.intervals(range));
                continue;
            }
            let live = async {
                let calendars = connection.busy_calendars().await?;
                Ok::<_, Error>(
                    connection
                        .calendar
                        .busy(&calendars, range.start, range.end)
                        .await?,
                )
            };
            match live.await {
                Ok(busy) => out
                    .intervals
                    .extend(busy.into_iter().map(|(s, e)| Interval::new(s, e))),
                Err(error) => {
                    let label = connection.integration.label.clone();
                    match cache {
                        Some(cache) => {
                            tracing::warn!(%error, "provider unreachable; an older busy cache is used");
                            out.intervals.extend(cache.intervals(range));
                            out.stale.push(label);
                        }
                        None => out.unread.push(format!("{label} ({error})")),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The busy calendars a connection's stored settings name now.
async fn connection_calendars(
    accounts: &CalendarAccounts,
    scope: MemberScope,
    id: IntegrationId,
) -> Result<Vec<String>> {
    accounts.open(scope, id).await?.busy_calendars().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + h * 3600, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn busy_time_is_merged_and_capped_with_the_range_shortened() {
        let (busy, to) = compact(
            vec![
                Interval::new(at(3), at(4)),
                Interval::new(at(0), at(2)),
                Interval::new(at(1), at(3)),
                Interval::new(at(6), at(6)),
            ],
            at(10),
        );
        assert_eq!(busy, vec![(at(0).timestamp(), at(4).timestamp())]);
        assert_eq!(to, at(10));

        let many: Vec<Interval> = (0..MAX_CACHED as i64 + 5)
            .map(|i| Interval::new(at(2 * i), at(2 * i + 1)))
            .collect();
        let (busy, to) = compact(many, at(100_000));
        assert_eq!(busy.len(), MAX_CACHED);
        // It covers up to the first interval it had to leave out, no further.
        assert_eq!(to, at(2 * MAX_CACHED as i64));
        let cache = BusyCache {
            synced_at: at(0),
            from: at(0),
            to,
            calendars: Vec::new(),
            busy,
        };
        assert!(cache.covers(at(0), at(2 * MAX_CACHED as i64)));
        assert!(!cache.covers(at(0), at(2 * MAX_CACHED as i64 + 1)));
        assert_eq!(cache.intervals(Interval::new(at(3), at(5))).len(), 1);
    }
}
