-- fa schema v1 (SQLite). Ids are 16-byte UUID blobs; instants are microseconds since the Unix
-- epoch (UTC). Member-owned rows carry (household_id, member_id) under a composite foreign key, so
-- a row can never tie a member to a household they are not in.

CREATE TABLE fa_households (
    id          BLOB NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE fa_members (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'adult', 'child', 'guest')),
    timezone      TEXT NOT NULL,
    locale        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (household_id, id)
) STRICT;

CREATE TABLE fa_identities (
    channel       TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_identities_member ON fa_identities (household_id, member_id);

CREATE TABLE fa_conversations (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (household_id, member_id, channel, chat_id),
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE fa_messages (
    seq              INTEGER PRIMARY KEY,
    id               BLOB NOT NULL UNIQUE,
    household_id     BLOB NOT NULL,
    member_id        BLOB NOT NULL,
    conversation_id  BLOB NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content          TEXT NOT NULL,
    metadata         TEXT,
    created_at       INTEGER NOT NULL,
    FOREIGN KEY (household_id, member_id, conversation_id)
        REFERENCES fa_conversations (household_id, member_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_messages_conversation ON fa_messages (conversation_id, seq);

CREATE TABLE fa_memory_notes (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    content       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_memory_notes_member ON fa_memory_notes (household_id, member_id, created_at);

CREATE TABLE fa_habits (
    id               BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL,
    member_id        BLOB NOT NULL,
    name             TEXT NOT NULL,
    target_per_week  INTEGER CHECK (target_per_week BETWEEN 1 AND 100),
    archived         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE fa_habit_logs (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    habit_id      BLOB NOT NULL,
    done_at       INTEGER NOT NULL,
    note          TEXT,
    FOREIGN KEY (household_id, member_id, habit_id)
        REFERENCES fa_habits (household_id, member_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_habit_logs_habit ON fa_habit_logs (habit_id, done_at);

CREATE TABLE fa_check_ins (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    mood          INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    answers       TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_check_ins_member ON fa_check_ins (household_id, member_id, recorded_at);

CREATE TABLE fa_integrations (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    kind          TEXT NOT NULL,
    label         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'needs_reauth', 'paused', 'revoked')),
    settings      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;

-- Only sealed blobs (version, key id, nonce, AES-256-GCM ciphertext and tag) are ever written here.
CREATE TABLE fa_credentials (
    integration_id  BLOB NOT NULL PRIMARY KEY,
    household_id    BLOB NOT NULL,
    member_id       BLOB NOT NULL,
    key_id          TEXT NOT NULL,
    sealed          BLOB NOT NULL,
    updated_at      INTEGER NOT NULL,
    FOREIGN KEY (household_id, member_id, integration_id)
        REFERENCES fa_integrations (household_id, member_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_credentials_household ON fa_credentials (household_id);

CREATE TABLE fa_inbound_events (
    id               BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    source           TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    received_at      INTEGER NOT NULL,
    processed_at     INTEGER,
    UNIQUE (household_id, source, idempotency_key)
) STRICT;
CREATE INDEX fa_inbound_events_unprocessed ON fa_inbound_events (household_id, received_at)
    WHERE processed_at IS NULL;

CREATE TABLE fa_notifications (
    id               BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL,
    member_id        BLOB NOT NULL,
    channel          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'retrying', 'given_up')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (household_id, member_id, idempotency_key),
    UNIQUE (household_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_notifications_member ON fa_notifications (household_id, member_id);
CREATE INDEX fa_notifications_due ON fa_notifications (household_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;

CREATE TABLE fa_delivery_receipts (
    id               BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL,
    notification_id  BLOB NOT NULL,
    attempt          INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('sent', 'retrying', 'given_up')),
    detail           TEXT,
    retry_at         INTEGER,
    recorded_at      INTEGER NOT NULL,
    UNIQUE (notification_id, attempt),
    FOREIGN KEY (household_id, notification_id)
        REFERENCES fa_notifications (household_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE fa_audit_log (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    actor         BLOB,
    action        TEXT NOT NULL,
    subject       TEXT,
    detail        TEXT NOT NULL,
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX fa_audit_log_household ON fa_audit_log (household_id, at);
