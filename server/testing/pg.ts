import { randomBytes } from 'node:crypto';

/**
 * PostgreSQL for tests: `APPT_TEST_DATABASE_URL` names a server (`.ci/run` starts a
 * throwaway one from Debian's packages). Each test gets a fresh database of its own.
 * Without it the PostgreSQL tests say so and skip — except under CI=true, where a missing
 * server fails the run.
 */
export const PG_TEST_URL = process.env.APPT_TEST_DATABASE_URL;

/**
 * `APPT_TEST_BACKEND=postgres` runs the backend suite on PostgreSQL (vitest.pg.config.ts):
 * every harness and every test server process then gets a fresh PostgreSQL database of its
 * own instead of a SQLite file. It needs APPT_TEST_DATABASE_URL.
 */
export const PG_SUITE = process.env.APPT_TEST_BACKEND === 'postgres';
if (PG_SUITE && !PG_TEST_URL)
  throw new Error(
    'APPT_TEST_BACKEND=postgres needs APPT_TEST_DATABASE_URL (a PostgreSQL server to create databases on)',
  );

export function requirePg(what: string): boolean {
  if (PG_TEST_URL) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `${what} needs PostgreSQL under CI=true: set APPT_TEST_DATABASE_URL (.ci/run starts one)`,
    );
  console.log(`APPT_TEST_DATABASE_URL is not set: skipping ${what} (PostgreSQL tests)`);
  return false;
}

/**
 * The migrated template database the PostgreSQL run clones (`CREATE DATABASE … TEMPLATE`,
 * about 4× faster than template0 plus migrations): test/pg-global-setup.ts creates it once
 * per run and names it here. Databases made for the run are named `appt_t_<run>_…` so the
 * run's teardown can drop whatever a test left behind (a SIGKILLed server, a skipped cleanup).
 */
export const PG_TEMPLATE = process.env.APPT_TEST_PG_TEMPLATE;
export const PG_RUN = process.env.APPT_TEST_PG_RUN;

function urlOf(name: string): string {
  const u = new URL(PG_TEST_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_TEST_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A new database on the test server; `drop` removes it (connections closed first). Empty
 * (from template0) unless `migrated` is asked for and the run has a template to clone.
 */
export async function freshPgDatabase(
  opts: { migrated?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `appt_t_${PG_RUN ? `${PG_RUN}_` : ''}${randomBytes(6).toString('hex')}`;
  const from =
    opts.migrated && PG_TEMPLATE
      ? `TEMPLATE ${PG_TEMPLATE}`
      : `TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`;
  await admin((c) => c.query(`CREATE DATABASE ${name} ${from}`));
  return {
    url: urlOf(name),
    drop: () => dropPgDatabase(name),
  };
}

export async function dropPgDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** The run's template: a database migrated once, then closed (a template takes no connections). */
export async function createPgTemplate(name: string): Promise<void> {
  const { openPg } = await import('../db/open.js');
  await dropPgDatabase(name);
  await admin((c) =>
    c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`),
  );
  const db = await openPg(urlOf(name), { max: 1 });
  await db.close();
}

/** Drops the template and every database the run made (`appt_t_<run>_…`). */
export async function dropPgRun(template: string, run: string): Promise<void> {
  const left = await admin((c) =>
    c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      `appt_t_${run}_`,
    ]),
  );
  for (const r of left.rows) await dropPgDatabase(r.datname);
  await dropPgDatabase(template);
}
