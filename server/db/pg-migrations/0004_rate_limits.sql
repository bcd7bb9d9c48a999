-- Counters every server process on this database shares (issue 11 §6, §4).
--
-- rate_limits: the per-token mutation limits and the failed-authentication brake, one row
-- per key with the hits of its current window (a window starts at its first hit, as in
-- @fastify/rate-limit's in-process store). UNLOGGED: a counter lost in a crash costs
-- nothing but a fresh window, and the hot UPSERT writes no WAL.
CREATE UNLOGGED TABLE "rate_limits" (
  "key" text PRIMARY KEY,
  "hits" integer NOT NULL,
  "reset_at" bigint NOT NULL
);
CREATE INDEX "rate_limits_reset_at" ON "rate_limits" ("reset_at");

-- job_runs: the last claimed run of each periodic job (reminders, ICS export, pruning), so
-- one run per interval happens across all processes.
CREATE TABLE "job_runs" (
  "name" text PRIMARY KEY,
  "last_run_at" bigint NOT NULL
);
