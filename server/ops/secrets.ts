import type { Config } from '../config.js';
import type { Db } from '../db/open.js';

/**
 * Several server processes on one PostgreSQL database must agree on the secrets nobody
 * configured — the realtime hub's key and secret (a channel signed by one process is
 * checked by another) and the webhook secret. The first process to start writes its
 * generated ones; every process then adopts what is stored. Configured secrets (flags, env,
 * config file) are never replaced. SQLite has one process per data directory: nothing to do.
 */
export async function adoptSharedSecrets(db: Db, config: Config): Promise<void> {
  const names = config.generatedSecrets ?? [];
  if (db.dialect !== 'pg' || names.length === 0) return;
  await db.transaction(async (tx) => {
    for (const n of names)
      await tx.run(
        'INSERT INTO appt_shared_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
        [n, String(config[n])],
      );
  });
  const rows = await db.all<{ name: string; value: string }>('SELECT name, value FROM appt_shared_secrets');
  for (const r of rows)
    if ((names as string[]).includes(r.name)) config[r.name as (typeof names)[number]] = r.value;
}
