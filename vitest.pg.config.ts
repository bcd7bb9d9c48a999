import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The PostgreSQL run of the suite (`npm run test:pg`): the same test files as `npm test`, on
 * PostgreSQL. APPT_TEST_BACKEND=postgres makes every harness (server/testing/harness.ts) and
 * every test server process (test/server-process.ts) run on a fresh database of its own,
 * cloned from one migrated template the global setup makes per run. It needs a server to
 * create databases on: APPT_TEST_DATABASE_URL=postgres://user@host:port/postgres (.ci/run
 * starts a throwaway one). Without it the run says so and runs nothing — under CI=true it fails.
 *
 * Every test file runs here unless it is excluded below for a stated reason: a new test file
 * that opens a database runs on both backends by default.
 */
const exclude = [
  ...configDefaults.exclude,

  // --- about SQLite itself: they stay in the SQLite run only ---
  // backup/restore copy and verify the SQLite file (integrity_check, a live WAL copy);
  // PostgreSQL backups are pg_dump's job
  'server/ops/backup.test.ts',
  // restoring a truncated SQLite backup file is refused (the live-database checks of
  // truncation.test.ts run here)
  'server/audit/truncation-restore.test.ts',
  // file modes of appt.db/-wal/-shm, `appt admin backup` of the SQLite file, the data-dir lock
  'test/e2e/files-lock.test.ts',
  // backup/restore, WAL checkpoint on shutdown and a corrupted SQLite file, through the CLI
  'test/e2e/ops.test.ts',
  // the PostgreSQL tests proper: they already run in `npm test` whenever
  // APPT_TEST_DATABASE_URL is set, each on databases of their own
  'server/db/pg.test.ts',
  'test/e2e/realtime-pg.test.ts',
  'server/ops/checks-pg.test.ts',
  // the catalog edits run on both backends inside `npm test` already (describe.each over
  // SQLite and, with APPT_TEST_DATABASE_URL, PostgreSQL)
  'server/catalog/edit.test.ts',
  'server/http/shared-limits.test.ts',
  'test/e2e/cluster.test.ts',
  'test/e2e/nginx.test.ts',
  'test/e2e/backup-pg.test.ts',
  // group commit is the SQLite writer's (PostgreSQL runs transactions side by side)
  'server/db/group-commit.test.ts',
  // SQLite's page-level integrity check and a corrupted or unwritable SQLite file, and the
  // worker-thread check on a big SQLite file (checks-pg.test.ts is their PostgreSQL side)
  'server/ops/checks.test.ts',
  'test/e2e/integrity.test.ts',

  // --- never open a database: they would only repeat the SQLite run ---
  'test/e2e/dist-contents.test.ts',
  // pure units: day arithmetic, the bounded LRU, the client's HTTP and revalidation against a bare server
  'shared/time.test.ts',
  'shared/one-shot-http.test.ts',
  'shared/client-revalidate.test.ts',
  'shared/lru.test.ts',
  // CLI units against fakes (formatting, parsing, config, bulk plans, the offline queue's files)
  'cli/bulk-dry-run.test.ts',
  'cli/bulk-plan.test.ts',
  'cli/commands/factory-commands.test.ts',
  'cli/commands/help.test.ts',
  'cli/commands/staff-actions.test.ts',
  'cli/commands/stats.test.ts',
  'cli/config.test.ts',
  'cli/dates.test.ts',
  'cli/server-entry.test.ts',
  'cli/format.test.ts',
  'cli/queue/queue.test.ts',
  'cli/runtime.test.ts',
  // the Ink TUI against a fake data layer (ink-testing-library)
  'cli/tui/**/*.test.{ts,tsx}',
  // the bench runner's plumbing (scripts it writes itself), slot arithmetic, config parsing,
  // the coalescer and the Pusher-protocol hub (in-memory, no app),
  'scripts/bench/bench.test.ts',
  'server/availability/slots.test.ts',
  'server/config.test.ts',
  'server/realtime/coalesce.test.ts',
  'server/realtime/hub.test.ts',
  // the /readyz integrity cache against a stub check
  'server/ops/readiness.test.ts',
  // request logging: an app on an in-memory database only to mint a token; the log lines
  // do not depend on the backend
  'server/ops/logging.test.ts',
  // the realtime benchmark's smoke run (fan-out inside one process; it starts its own server)
  'server/realtime/bench-smoke.test.ts',
  // `appt serve|demo` on a taken port and --print-config: they stop before a database opens
  'test/e2e/cli-serve.test.ts',
  // start-up order (the port is bound before the demo seed and the jobs): a taken port
  // fails before anything is written, on the data directory's own file
  'server/main.test.ts',

  // --- the CLI's own logic over HTTP, left out for the time budget (.ci/run under 15 min) ---
  // they exercise the server only through routes whose PostgreSQL behaviour the route tests
  // above check; together ~3.5 min of worker time here
  // bulk runs SIGKILLed part-way and re-run: resuming is the CLI's plan/state file; the keyed
  // cancels and reschedules it relies on are exactly-once on PostgreSQL by
  // server/http/idempotency.test.ts (here) and server/db/pg.test.ts (two processes)
  'test/e2e/bulk.test.ts',
  // the offline snapshot and queue, replayed once on the next online command (CLI files)
  'test/e2e/offline.test.ts',
  'test/e2e/queue.test.ts',
  // every command's output, flags and exit codes (booking, lists, audit and roles on
  // PostgreSQL: booking-flow, lists, audit, roles tests here)
  'test/e2e/cli.test.ts',

  // --- the terminal and the SQLite quick start ---
  // the TUI in a real tmux: keystrokes and screens over a server the API tests already
  // cover; the TUI's own logic runs against fakes in cli/tui/
  'test/e2e/tui.test.ts',
  'test/e2e/tui-desk.test.ts',
  // the README's CLI examples as written: the SQLite quick start (`appt admin backup` copies
  // the SQLite file; on PostgreSQL it points at pg_dump instead)
  'test/e2e/readme-cli.test.ts',
];

const url = process.env.APPT_TEST_DATABASE_URL;
if (!url && process.env.CI === 'true')
  throw new Error('npm run test:pg needs PostgreSQL under CI=true: set APPT_TEST_DATABASE_URL');
if (!url)
  console.log(
    'APPT_TEST_DATABASE_URL is not set: skipping the PostgreSQL run (point it at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres)',
  );

// one template and one name prefix per run, so parallel runs on one server do not collide
const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
process.env.APPT_TEST_PG_RUN = run;
process.env.APPT_TEST_PG_TEMPLATE = `appt_tpl_${run}`;

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: url ? base.test!.include : [],
    exclude,
    passWithNoTests: !url,
    env: {
      APPT_TEST_BACKEND: 'postgres',
      APPT_TEST_PG_RUN: run,
      APPT_TEST_PG_TEMPLATE: `appt_tpl_${run}`,
    },
    globalSetup: [...(base.test!.globalSetup as string[]), ...(url ? ['test/pg-global-setup.ts'] : [])],
  },
});
