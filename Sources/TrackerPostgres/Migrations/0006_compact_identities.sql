-- Smaller rows (issue 5's bytes per event): `vid` and `sid` as uuid (16 bytes, not 37); an
-- identifier that is not a canonical UUID is kept as text in `vid_text` / `sid_text` and its
-- column holds md5(value)::uuid (PostgresIdentity.swift derives new rows the same way), so
-- count(DISTINCT vid) still counts every visitor. `cflags`, `w` and `h` fit 4-byte integers.
-- (Each USING reads only its own column: partitions made after migration 5 number their columns
-- differently from the parent, and PostgreSQL 15 maps another column's number wrongly there.)
-- Rewrites the table: on a large database run `tracker migrate` in a quiet hour.
ALTER TABLE events ADD COLUMN vid_text TEXT, ADD COLUMN sid_text TEXT;
UPDATE events SET
    vid_text = CASE WHEN vid !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN vid END,
    sid_text = CASE WHEN sid !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN sid END
    WHERE vid !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
       OR sid !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
ALTER TABLE events
    ALTER COLUMN vid TYPE uuid USING (CASE WHEN vid ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN vid::uuid ELSE md5(vid)::uuid END),
    ALTER COLUMN sid TYPE uuid USING (CASE WHEN sid ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN sid::uuid ELSE md5(sid)::uuid END),
    ALTER COLUMN cflags TYPE integer USING greatest(least(cflags, 2147483647), -2147483648),
    ALTER COLUMN w TYPE integer USING greatest(least(w, 2147483647), -2147483648),
    ALTER COLUMN h TYPE integer USING greatest(least(h, 2147483647), -2147483648);
-- Both B-trees fill their pages: events arrive in time order, so each index grows at its right
-- edge (per site for the second), where PostgreSQL splits pages at their fillfactor, not in half;
-- the default 90 leaves a tenth of every page empty for inserts that never come.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_eid_created_key;
ALTER TABLE events ADD CONSTRAINT events_eid_created_key UNIQUE (eid, created) WITH (fillfactor = 100);
DROP INDEX IF EXISTS events_site_created;
CREATE INDEX events_site_created ON events (hhash, created) WITH (fillfactor = 100);
