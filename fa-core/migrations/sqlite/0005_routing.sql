-- fa schema v5 (SQLite): routing inbound events to members — the owner's rules, events that could
-- not be read, and lines held for a digest. Instants are microseconds since the Unix epoch.

-- Something a source received but could not read (e.g. a malformed SQS message), kept raw so
-- nothing is lost silently. One row per (source, external id); `attempts` counts sightings.
CREATE TABLE fa_failed_events (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    raw           TEXT NOT NULL,
    reason        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    UNIQUE (household_id, source, external_id)
) STRICT;
CREATE INDEX fa_failed_events_recent ON fa_failed_events (household_id, last_seen);

-- Which events a member receives and how (immediately, after quiet hours, in a digest). The
-- rule's body is JSON, checked by fa before it is written.
CREATE TABLE fa_route_rules (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    rule          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_route_rules_household ON fa_route_rules (household_id, created_at);

-- A line waiting for the member's next digest; `notification_id` is set when the digest holding
-- it is written to the outbox. One line per (member, event).
CREATE TABLE fa_digest_items (
    id               BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL,
    member_id        BLOB NOT NULL,
    event_id         BLOB NOT NULL,
    channel          TEXT NOT NULL,
    line             TEXT NOT NULL,
    due_at           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    notification_id  BLOB,
    UNIQUE (household_id, member_id, event_id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_digest_items_due ON fa_digest_items (household_id, due_at)
    WHERE notification_id IS NULL;

-- Recent events by kind (an assistant asking for the last shipments, say).
CREATE INDEX fa_inbound_events_kind ON fa_inbound_events (household_id, source, kind, received_at);
