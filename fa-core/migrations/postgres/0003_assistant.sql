-- fa schema v3 (PostgreSQL): assistant profiles, pending actions, per-member tool preferences and
-- rolling conversation summaries. Instants are microseconds since the Unix epoch.

CREATE TABLE fa_assistant_profiles (
    id             UUID NOT NULL PRIMARY KEY,
    household_id   UUID NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    system_prompt  TEXT NOT NULL,
    model          TEXT,
    allowed_tools  JSONB,
    temperature    DOUBLE PRECISION,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (household_id, name)
);

-- A change a tool proposed, waiting for the member to confirm or cancel it.
CREATE TABLE fa_pending_actions (
    id               UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL,
    member_id        UUID NOT NULL,
    conversation_id  UUID,
    tool             TEXT NOT NULL,
    arguments        JSONB NOT NULL,
    summary          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'cancelled')),
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    resolved_at      BIGINT,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);
CREATE INDEX fa_pending_actions_member ON fa_pending_actions (household_id, member_id, state, expires_at);

-- Tools a member asked not to be asked about before they run.
CREATE TABLE fa_tool_preferences (
    household_id  UUID NOT NULL,
    member_id     UUID NOT NULL,
    tool          TEXT NOT NULL,
    confirm       BOOLEAN NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (household_id, member_id, tool),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
);

-- The model's summary of a conversation's older messages, up to and including `through_message`.
CREATE TABLE fa_conversation_summaries (
    conversation_id  UUID NOT NULL PRIMARY KEY,
    household_id     UUID NOT NULL,
    member_id        UUID NOT NULL,
    summary          TEXT NOT NULL,
    through_message  UUID NOT NULL,
    updated_at       BIGINT NOT NULL,
    FOREIGN KEY (household_id, member_id, conversation_id)
        REFERENCES fa_conversations (household_id, member_id, id) ON DELETE CASCADE
);
