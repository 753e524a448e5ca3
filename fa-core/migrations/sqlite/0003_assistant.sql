-- fa schema v3 (SQLite): assistant profiles, pending actions, per-member tool preferences and
-- rolling conversation summaries. Instants are microseconds since the Unix epoch.

CREATE TABLE fa_assistant_profiles (
    id             BLOB NOT NULL PRIMARY KEY,
    household_id   BLOB NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    system_prompt  TEXT NOT NULL,
    model          TEXT,
    allowed_tools  TEXT,
    temperature    REAL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (household_id, name)
) STRICT;

-- A change a tool proposed, waiting for the member to confirm or cancel it.
CREATE TABLE fa_pending_actions (
    id               BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL,
    member_id        BLOB NOT NULL,
    conversation_id  BLOB,
    tool             TEXT NOT NULL,
    arguments        TEXT NOT NULL,
    summary          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'cancelled')),
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    resolved_at      INTEGER,
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_pending_actions_member ON fa_pending_actions (household_id, member_id, state, expires_at);

-- Tools a member asked not to be asked about before they run.
CREATE TABLE fa_tool_preferences (
    household_id  BLOB NOT NULL,
    member_id     BLOB NOT NULL,
    tool          TEXT NOT NULL,
    confirm       INTEGER NOT NULL CHECK (confirm IN (0, 1)),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (household_id, member_id, tool),
    FOREIGN KEY (household_id, member_id) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;

-- The model's summary of a conversation's older messages, up to and including `through_message`.
CREATE TABLE fa_conversation_summaries (
    conversation_id  BLOB NOT NULL PRIMARY KEY,
    household_id     BLOB NOT NULL,
    member_id        BLOB NOT NULL,
    summary          TEXT NOT NULL,
    through_message  BLOB NOT NULL,
    updated_at       INTEGER NOT NULL,
    FOREIGN KEY (household_id, member_id, conversation_id)
        REFERENCES fa_conversations (household_id, member_id, id) ON DELETE CASCADE
) STRICT;
