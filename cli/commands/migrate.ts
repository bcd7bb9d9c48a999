import type { Command } from 'commander';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

/**
 * `appt migrate`: applies the database migrations and exits, for operators who migrate
 * before rolling out new server processes (every server also migrates at start-up, under
 * the same lock, so this is never required).
 */
export function register(program: Command, io: IO): void {
  addTo(program, newCmdMigrate(makeFactory(io, program)));
}

export function newCmdMigrate(f: Factory): Command {
  const { io } = f;
  return f
    .createCommand('migrate')
    .description('Apply the database migrations (SQLite file or PostgreSQL) and exit')
    .option('--data-dir <dir>', 'data directory holding appt.db (env APPT_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres://… (env APPT_DATABASE_URL); unset: <data-dir>/appt.db')
    .option('--json', 'print { database, applied } as JSON')
    .addHelpText(
      'after',
      `
Examples:
  appt migrate --data-dir ./data
  APPT_DATABASE_URL=postgres://appt@127.0.0.1/appt appt migrate --json`,
    )
    .action(async (o: { dataDir?: string; databaseUrl?: string; json?: boolean }) => {
      const { loadConfig, openDatabase } = await import('../../server/entry.js');
      const config = loadConfig(
        {
          ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
          ...(o.databaseUrl !== undefined ? { databaseUrl: o.databaseUrl } : {}),
        },
        io.env,
      );
      const db = await openDatabase(config);
      const where = db.path;
      await db.close();
      if (o.json) io.out(`${JSON.stringify({ database: where, dialect: db.dialect, migrated: true })}\n`);
      else io.err(`migrated ${db.dialect} database ${where}\n`);
    });
}
