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

/** A new empty database on the test server; `drop` removes it (connections closed first). */
export async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `appt_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  try {
    await admin.query(
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
    );
  } finally {
    await admin.end();
  }
  const u = new URL(PG_TEST_URL!);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_TEST_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
