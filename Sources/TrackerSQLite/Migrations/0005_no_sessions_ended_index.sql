-- The index on sessions(ended) served one query, the sessions seeded at start, and cost a B-tree
-- write for every event (each moves its session's `ended`) plus about 80 bytes per event on disk.
-- The seeding reads the events table through its `created` index instead.
DROP INDEX IF EXISTS sessions_ended;
