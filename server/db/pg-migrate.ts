import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { Pool } from 'pg';

/** The committed PostgreSQL migrations, from src (tests) or dist. */
export function pgMigrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'pg-migrations'),
    join(here, '..', '..', '..', 'server', 'db', 'pg-migrations'),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`pg migrations folder not found (looked in ${candidates.join(', ')})`);
}

/**
 * Applies the pending migrations in order, each in its own transaction, under a session
 * advisory lock: several processes starting at once on an empty database all come up —
 * the first migrates, the others wait for the lock and then find nothing to do.
 */
export async function migratePg(pool: Pool): Promise<string[]> {
  const c = await pool.connect();
  const applied: string[] = [];
  try {
    await c.query("SELECT pg_advisory_lock(hashtextextended('appt:migrate', 0))");
    try {
      await c.query(
        'CREATE TABLE IF NOT EXISTS appt_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await c.query<{ name: string }>('SELECT name FROM appt_migrations')).rows.map((r) => r.name),
      );
      const dir = pgMigrationsFolder();
      for (const f of readdirSync(dir)
        .filter((x) => x.endsWith('.sql'))
        .sort()) {
        if (done.has(f)) continue;
        await c.query('BEGIN');
        try {
          await c.query(readFileSync(join(dir, f), 'utf8'));
          await c.query('INSERT INTO appt_migrations (name) VALUES ($1)', [f]);
          await c.query('COMMIT');
          applied.push(f);
        } catch (e) {
          await c.query('ROLLBACK');
          throw new Error(`migration ${f} failed: ${(e as Error).message}`);
        }
      }
    } finally {
      await c.query("SELECT pg_advisory_unlock(hashtextextended('appt:migrate', 0))");
    }
  } finally {
    c.release();
  }
  return applied;
}
