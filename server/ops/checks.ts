import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/errors.js';
import type { Db } from '../db/open.js';
import type { IntegrityResult } from '../invariants/integrity.js';
import { type CheckJob, type CheckJobResult, runCheckJob } from './check-jobs.js';

/**
 * Runs the expensive checks off the event loop (issue 12.5): on 200k appointments a check
 * takes seconds of CPU (hashing every audit entry), and in the server's thread /healthz
 * and every other request waited that long. Each run gets a worker thread of its own
 * (started for the run, gone after it: checks are rare, an idle thread and handle are not
 * worth keeping) that opens its own database handle and calls the same functions.
 *
 * Admission: one admin run (`check` or `verify`) at a time, server-wide; a second one
 * meanwhile is refused at once with 409 `check_in_progress` rather than queued (a queue of
 * multi-second scans is what a client retrying on timeout would build). The /readyz
 * quick_check is not an admin run: it has its own single flight (callers share the run
 * in progress) and never makes an admin run wait, nor waits for one.
 *
 * In-thread instead of a worker: an in-memory SQLite database (`:memory:`, most tests)
 * exists only inside this thread's connection, another thread cannot open it; and the
 * quick_check of a file below QUICK_IN_THREAD_BYTES, which takes a few milliseconds (less
 * than starting a thread). Closing (app close) terminates the workers still running.
 */
/** The admission rule, for the OpenAPI description of GET /admin/check and GET /admin/audit/verify. */
export const ONE_RUN_AT_A_TIME =
  'Runs in a worker thread with its own database handle, so the server keeps answering meanwhile. ' +
  'One such run (GET /admin/check or GET /admin/audit/verify) at a time, server-wide: a request while one ' +
  'is running is refused at once with 409 `check_in_progress` (not queued); retry when it is done.';

export const QUICK_IN_THREAD_BYTES = 8 * 1024 * 1024;

type AdminJob = Extract<CheckJob, { kind: 'check' | 'verify' }>;

export interface CheckRunnerOptions {
  /** force where runs happen (tests); default: a worker unless the database is in memory */
  mode?: 'auto' | 'thread';
}

interface Entry {
  file: string | URL;
  eval: boolean;
}

/**
 * The compiled worker next to this module (dist/server/ops/check-worker.js); from source
 * (vitest, tsx) there is no .js, so the .ts is loaded through tsx's loader, registered
 * inside the worker by a two-line bootstrap (Node 20 does not apply a worker's own
 * `--import tsx` to its entry module). undefined when neither is there.
 */
function workerEntry(): Entry | undefined {
  const compiled = new URL('./check-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { file: compiled, eval: false };
  const source = new URL('./check-worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(source))) return undefined;
  let tsx: string;
  try {
    // require.resolve finds the CommonJS build (dist/esm/api/index.cjs); its ESM twin sits beside it
    const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
    const esm = cjs.replace(/\.cjs$/, '.mjs');
    tsx = pathToFileURL(existsSync(esm) ? esm : cjs).href;
  } catch {
    return undefined;
  }
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); })`;
  return { file: boot, eval: true };
}

export class CheckRunner {
  private admin: { kind: AdminJob['kind']; since: number } | undefined;
  private quick: Promise<IntegrityResult | undefined> | undefined;
  private readonly workers = new Set<Worker>();
  private readonly entry: Entry | undefined;

  constructor(
    private readonly ctx: { db: Db; config: { dbPath: string; databaseUrl?: string | undefined } },
    private readonly opts: CheckRunnerOptions = {},
  ) {
    this.entry = workerEntry();
  }

  /** Where a job would run now: 'worker' or 'thread' (in-thread also when no worker entry exists). */
  where(kind: CheckJob['kind']): 'worker' | 'thread' {
    const { dbPath, databaseUrl } = this.ctx.config;
    if (this.opts.mode === 'thread' || !this.entry) return 'thread';
    if (!databaseUrl && (dbPath === ':memory:' || this.ctx.db.path === ':memory:')) return 'thread';
    if (kind === 'quick_check' && !databaseUrl) {
      // what quick_check reads: the file and the frames still in the WAL
      const size = (f: string) => {
        try {
          return statSync(f).size;
        } catch {
          return 0;
        }
      };
      if (size(dbPath) + size(`${dbPath}-wal`) < QUICK_IN_THREAD_BYTES) return 'thread';
    }
    return 'worker';
  }

  /** the admin run in progress, if any */
  running(): { kind: AdminJob['kind']; since: number } | undefined {
    return this.admin;
  }

  /** GET /admin/check and GET /admin/audit/verify: one at a time, a second is 409 `check_in_progress`. */
  async runAdmin<J extends AdminJob>(job: J): Promise<CheckJobResult[J['kind']]> {
    if (this.admin)
      throw new AppError(
        'check_in_progress',
        `a ${this.admin.kind === 'check' ? 'GET /admin/check' : 'GET /admin/audit/verify'} run started ${
          Math.round((Date.now() - this.admin.since) / 100) / 10
        } s ago is still going; retry when it is done`,
      );
    this.admin = { kind: job.kind, since: Date.now() };
    try {
      return await this.run(job);
    } finally {
      this.admin = undefined;
    }
  }

  /** PRAGMA quick_check for /readyz; concurrent callers share the run in progress. */
  quickCheck(): Promise<IntegrityResult | undefined> {
    if (this.quick === undefined) {
      const p = this.run({ kind: 'quick_check' });
      this.quick = p;
      const clear = () => {
        if (this.quick === p) this.quick = undefined;
      };
      p.then(clear, clear);
    }
    return this.quick;
  }

  private async run<J extends CheckJob>(job: J): Promise<CheckJobResult[J['kind']]> {
    if (this.where(job.kind) === 'thread') return await runCheckJob(this.ctx.db, job);
    return await this.inWorker(job);
  }

  private inWorker<J extends CheckJob>(job: J): Promise<CheckJobResult[J['kind']]> {
    const { dbPath, databaseUrl } = this.ctx.config;
    const entry = this.entry!;
    const w = new Worker(entry.file, {
      eval: entry.eval,
      workerData: { job, database: { dbPath, ...(databaseUrl ? { databaseUrl } : {}) } },
    });
    this.workers.add(w);
    return new Promise((resolve, reject) => {
      let settled = false;
      w.on('message', (m: { result?: unknown; error?: { message: string; code?: string } }) => {
        settled = true;
        if (m.error) reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        else resolve(m.result as CheckJobResult[J['kind']]);
      });
      w.on('error', (err) => {
        settled = true;
        reject(err);
      });
      w.on('exit', (code) => {
        this.workers.delete(w);
        if (!settled)
          reject(
            new AppError(
              'unavailable',
              `the ${job.kind} worker stopped (exit ${code}) before it had an answer`,
            ),
          );
      });
    });
  }

  /** Terminates the workers still running (their callers get 503 `unavailable`). */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}
