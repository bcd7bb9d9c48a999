import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { Config } from '../config.js';
import { systemClock } from '../context.js';
import { openDb } from '../db/open.js';
import { jobNamed } from './definitions.js';

/**
 * The thin Bree job entry (compiled to dist/server/jobs/worker.js; Bree cannot load .ts).
 * One file serves every job: workerData names the job. The worker opens its own database
 * handle, runs the job's domain function once, and exits. On Bree's 'cancel' (server
 * stop) it lets the current step finish — no new claims — then exits.
 */
const { job, config } = workerData as { job: string; config: Config };
const abort = new AbortController();
parentPort?.on('message', (m) => {
  if (m === 'cancel') abort.abort();
});
const logger = pino({ level: config.logLevel }).child({ job });
const db = openDb(config.dbPath, { migrate: false });
let code = 0;
try {
  const result = await jobNamed(job).run({ db, clock: systemClock, config, logger }, abort.signal);
  logger.debug({ result }, 'job run');
} catch (err) {
  logger.error({ err }, 'job failed');
  code = 1;
} finally {
  db.sqlite.close();
}
process.exit(code);
