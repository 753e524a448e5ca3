-- fa schema v4 (SQLite): invite codes, and whether the assistant can still reach a channel
-- identity. Instants are microseconds since the Unix epoch.

-- A single-use invite into a household. Only the SHA-256 (hex) of the code is kept. `used_by` has
-- no foreign key: it is set in the same transaction that adds the member, and stays as a record of
-- who joined after that member is removed. Invites go with the member who created them.
CREATE TABLE fa_invites (
    id            BLOB NOT NULL PRIMARY KEY,
    household_id  BLOB NOT NULL,
    code_hash     TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'adult', 'child', 'guest')),
    created_by    BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    used_by       BLOB,
    CHECK ((used_at IS NULL) = (used_by IS NULL)),
    FOREIGN KEY (household_id, created_by) REFERENCES fa_members (household_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX fa_invites_household ON fa_invites (household_id, created_at);
CREATE INDEX fa_invites_creator ON fa_invites (household_id, created_by);

-- Set when a channel reported the identity unreachable (e.g. the user blocked the bot); cleared
-- when it can be reached again.
ALTER TABLE fa_identities ADD COLUMN unreachable_since INTEGER;
CREATE INDEX fa_identities_unreachable ON fa_identities (household_id, unreachable_since)
    WHERE unreachable_since IS NOT NULL;
