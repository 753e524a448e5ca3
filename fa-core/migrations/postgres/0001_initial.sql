-- fa schema v1 (PostgreSQL). Ids are UUIDs; instants are microseconds since the Unix
-- epoch (UTC). Member-owned rows carry (household_id, member_id) under a composite foreign key, so
-- a row can never tie a member to a household they are not in.

CREATE TABLE fa_households (
    id          UUID NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE fa_members (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'adult', 'child', 'guest')),
    timezone      TEXT NOT NULL,
    locale        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (household_id, id)
);

CREATE TABLE fa_identities (
    channel       TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (channel, external_id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_identities_member ON fa_identities (household_id, member_id);

CREATE TABLE fa_conversations (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (household_id, member_id, channel, chat_id),
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);

CREATE TABLE fa_messages (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               UUID NOT NULL UNIQUE,
    household_id     UUID NOT NULL,
    member_id        UUID NOT NULL,
    conversation_id  UUID NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content          TEXT NOT NULL,
    metadata         JSONB,
    created_at       BIGINT NOT NULL,
    FOREIGN KEY (household_id, member_id, conversation_id)
        REFERENCES fa_conversations (household_id, member_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_messages_conversation ON fa_messages (conversation_id, seq);

CREATE TABLE fa_memory_notes (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    content       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_memory_notes_member ON fa_memory_notes (household_id, member_id, created_at);

CREATE TABLE fa_habits (
    id               UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL,
    member_id        UUID NOT NULL,
    name             TEXT NOT NULL,
    target_per_week  INTEGER CHECK (target_per_week BETWEEN 1 AND 100),
    archived         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT NOT NULL,
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);

CREATE TABLE fa_habit_logs (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    habit_id      UUID NOT NULL,
    done_at       BIGINT NOT NULL,
    note          TEXT,
    FOREIGN KEY (household_id, member_id, habit_id)
        REFERENCES fa_habits (household_id, member_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_habit_logs_habit ON fa_habit_logs (habit_id, done_at);

CREATE TABLE fa_check_ins (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    mood          INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    answers       JSONB NOT NULL,
    recorded_at   BIGINT NOT NULL,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_check_ins_member ON fa_check_ins (household_id, member_id, recorded_at);

CREATE TABLE fa_integrations (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    kind          TEXT NOT NULL,
    label         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'needs_reauth', 'paused', 'revoked')),
    settings      JSONB NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (household_id, member_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);

-- Only sealed blobs (version, key id, nonce, AES-256-GCM ciphertext and tag) are ever written here.
CREATE TABLE fa_credentials (
    integration_id  UUID NOT NULL PRIMARY KEY,
    household_id    UUID NOT NULL,
    member_id       UUID NOT NULL,
    key_id          TEXT NOT NULL,
    sealed          BYTEA NOT NULL,
    updated_at      BIGINT NOT NULL,
    FOREIGN KEY (household_id, member_id, integration_id)
        REFERENCES fa_integrations (household_id, member_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_credentials_household ON fa_credentials (household_id);

CREATE TABLE fa_inbound_events (
    id               UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    source           TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          JSONB NOT NULL,
    received_at      BIGINT NOT NULL,
    processed_at     BIGINT,
    UNIQUE (household_id, source, idempotency_key)
);
CREATE INDEX fa_inbound_events_unprocessed ON fa_inbound_events (household_id, received_at)
    WHERE processed_at IS NULL;

CREATE TABLE fa_notifications (
    id               UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL,
    member_id        UUID NOT NULL,
    channel          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'retrying', 'given_up')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (household_id, member_id, idempotency_key),
    UNIQUE (household_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_notifications_member ON fa_notifications (household_id, member_id);
CREATE INDEX fa_notifications_due ON fa_notifications (household_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;

CREATE TABLE fa_delivery_receipts (
    id               UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL,
    notification_id  UUID NOT NULL,
    attempt          BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('sent', 'retrying', 'given_up')),
    detail           TEXT,
    retry_at         BIGINT,
    recorded_at      BIGINT NOT NULL,
    UNIQUE (notification_id, attempt),
    FOREIGN KEY (household_id, notification_id)
        REFERENCES fa_notifications (household_id, id) ON DELETE CASCADE
);

CREATE TABLE fa_audit_log (
    id            UUID NOT NULL PRIMARY KEY,
    household_id  UUID NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    actor         UUID,
    action        TEXT NOT NULL,
    subject       TEXT,
    detail        JSONB NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX fa_audit_log_household ON fa_audit_log (household_id, at);
