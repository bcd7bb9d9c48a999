import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { type Db, openDb, openPg } from '../db/open.js';
import { type CheckJob, runCheckJob } from './check-jobs.js';

/**
 * The worker-thread entry of the expensive checks (compiled to dist/server/ops/check-worker.js;
 * under vitest/tsx the runner loads this .ts through tsx). It opens its own handle — the
 * SQLite file read-only (WAL: it reads the last commit and never blocks the server's
 * writer), or a pool of two connections to the same PostgreSQL URL — runs one job with the
 * same functions the server would call in-thread, posts the result and exits.
 */
const { job, database } = workerData as {
  job: CheckJob;
  database: { dbPath: string; databaseUrl?: string };
};
// a check gives way to requests when the CPUs are short: nice 10 for this thread only (on
// Linux the nice value is per thread and pid 0 is the calling thread; elsewhere it may not apply)
try {
  setPriority(0, 10);
} catch {
  // not permitted here: run at the server's priority
}
let db: Db | undefined;
try {
  db = database.databaseUrl
    ? await openPg(database.databaseUrl, { migrate: false, max: 2 })
    : await openDb(database.dbPath, { readonly: true, migrate: false });
  parentPort!.postMessage({ result: await runCheckJob(db, job) });
} catch (err) {
  const e = err as Error & { code?: string };
  parentPort!.postMessage({ error: { message: e.message ?? String(err), code: e.code } });
} finally {
  await db?.close();
}
