-- fa schema v6 (SQLite): the channel inbox — what a channel received, written before the channel
-- acknowledges it to its provider (Telegram's getUpdates offset, a webhook's 200), so a crash
-- never loses a message and a redelivery is answered once. Instants are microseconds since the
-- Unix epoch.
--
-- `attempts` counts the turns begun for the row (more than one means a turn was interrupted);
-- `touched_at` is when it was received or last begun; `done_at` marks it answered, and the
-- payload is then emptied (the key stays, to recognise a redelivery).
CREATE TABLE fa_channel_inbox (
    household_id  BLOB NOT NULL REFERENCES fa_households (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    delivery_key  TEXT NOT NULL,
    payload       TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    touched_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    done_at       INTEGER,
    PRIMARY KEY (household_id, channel, delivery_key)
) STRICT;
CREATE INDEX fa_channel_inbox_open ON fa_channel_inbox (household_id, channel, touched_at)
    WHERE done_at IS NULL;
CREATE INDEX fa_channel_inbox_done ON fa_channel_inbox (household_id, done_at)
    WHERE done_at IS NOT NULL;
