-- fa schema v2 (PostgreSQL): the scheduler's jobs and occurrences, and claimable outbox rows.
-- Instants are microseconds since the Unix epoch; ids are UUIDs.

CREATE TABLE fa_jobs (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    trigger_spec  TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    misfire       TEXT NOT NULL CHECK (misfire IN ('skip', 'fire_once', 'fire_all')),
    grace_us      BIGINT,
    state         TEXT NOT NULL CHECK (state IN ('active', 'paused', 'cancelled', 'completed')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);

-- One row per planned firing of a job. `run_at` is when a runner should next look at the row:
-- the due instant while pending, the lease expiry while running, NULL once final or paused.
CREATE TABLE fa_occurrences (
    id               UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL,
    member_id        UUID NOT NULL,
    job_id           UUID NOT NULL,
    scheduled_at     BIGINT NOT NULL,
    due_at           BIGINT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped', 'cancelled')),
    run_at           BIGINT,
    lease_owner      TEXT,
    claims           BIGINT NOT NULL DEFAULT 0,
    fired_at         BIGINT,
    late             BOOLEAN NOT NULL DEFAULT FALSE,
    detail           TEXT,
    notification_id  UUID,
    snoozed_from     UUID,
    acknowledged_at  BIGINT,
    needs_summary    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    FOREIGN KEY (household_id, member_id, job_id)
        REFERENCES fa_jobs (household_id, member_id, id) ON DELETE CASCADE
);
-- One firing per (job, scheduled instant): the idempotency key. Snoozed repeats are extra
-- firings with their own ids, outside the key.
CREATE UNIQUE INDEX fa_occurrences_firing ON fa_occurrences (job_id, scheduled_at)
    WHERE snoozed_from IS NULL;
CREATE INDEX fa_occurrences_snoozed ON fa_occurrences (snoozed_from)
    WHERE snoozed_from IS NOT NULL;
CREATE INDEX fa_occurrences_run ON fa_occurrences (run_at) WHERE run_at IS NOT NULL;
CREATE INDEX fa_occurrences_member ON fa_occurrences (household_id, member_id, due_at);
CREATE INDEX fa_occurrences_summary ON fa_occurrences (household_id, member_id)
    WHERE needs_summary = TRUE;

-- Runners claim due outbox rows across households by moving next_attempt_at forward (a lease).
CREATE INDEX fa_notifications_claim ON fa_notifications (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
