import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { Config } from '../config.js';
import { systemClock } from '../context.js';
import { openDatabase } from '../db/open.js';
import { jobNamed, runLoop } from './definitions.js';

/**
 * The thin Bree job entry (compiled to dist/server/jobs/worker.js; Bree cannot load .ts).
 * One file serves every job: workerData names it. The worker opens its own database
 * handle; a loop job runs until Bree's 'cancel' (server stop), a tick job runs once. On
 * cancel the current step finishes — no new claims — and the worker exits.
 */
const { job, config } = workerData as { job: string; config: Config };
const abort = new AbortController();
parentPort?.on('message', (m) => {
  if (m === 'cancel') abort.abort();
});
const logger = pino({ level: config.logLevel }).child({ job });
const db = await openDatabase(config, { migrate: false });
const deps = { db, clock: systemClock, config, logger };
let code = 0;
try {
  const def = jobNamed(job);
  if (def.kind === 'loop') await runLoop(def, deps, abort.signal);
  else logger.debug({ result: await def.run(deps, abort.signal) }, 'job run');
} catch (err) {
  logger.error({ err }, 'job failed');
  code = 1;
} finally {
  await db.close();
}
process.exit(code);
