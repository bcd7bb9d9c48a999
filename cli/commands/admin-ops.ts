import type { Command } from 'commander';
import type { Factory } from '../factory.js';

export interface DataDirFlags {
  dataDir?: string;
  json?: boolean;
}

/**
 * `appt admin backup|restore|check` (and `token rotate` when the admin command has none):
 * backup and restore work on the local data directory, check asks the server.
 * Called by cli/commands/admin.ts with its `admin` command.
 */
export function registerAdminOps(admin: Command, f: Factory): void {
  const { io } = f;
  admin
    .command('backup')
    .description(
      'Online backup of the local database (safe while the server runs), then PRAGMA integrity_check on the copy',
    )
    .requiredOption('--to <file>', 'the backup file to write (must not exist)')
    .option('--data-dir <dir>', 'data directory (env APPT_DATA_DIR, default ./data)')
    .option('--json', 'print {file, bytes, pages, integrity, appointments, auditEntries, tookMs}')
    .addHelpText(
      'after',
      `
Examples:
  appt admin backup --to backups/appt-$(date +%F).db
  APPT_DATA_DIR=/srv/appt appt admin backup --to /mnt/backup/appt.db --json`,
    )
    .action(async (o: DataDirFlags & { to: string }) => {
      const { runBackup } = await import('./admin-ops-run.js');
      await runBackup(io, o);
    });

  admin
    .command('restore')
    .description(
      'Replace the local database by a backup (verified first); refuses while a server uses the data directory',
    )
    .requiredOption('--from <file>', 'a file written by `appt admin backup`')
    .option('--data-dir <dir>', 'data directory (env APPT_DATA_DIR, default ./data)')
    .option('--yes', 'do not ask for confirmation (needed without a TTY)')
    .option('--json', 'print {file, from, previous, appointments, auditEntries}')
    .addHelpText(
      'after',
      `
The replaced database is kept beside it as appt.db.before-restore-<time>.

Examples:
  appt admin restore --from backups/appt-2030-01-07.db --yes`,
    )
    .action(async (o: DataDirFlags & { from: string; yes?: boolean }) => {
      const { runRestore } = await import('./admin-ops-run.js');
      await runRestore(io, o);
    });

  admin
    .command('check')
    .description(
      'Ask the server to run its invariant checker and audit-chain verification (GET /admin/check)',
    )
    .option('--json', 'print {ok, problems[]} on stdout')
    .addHelpText('after', '\nExits 0 when everything holds, 1 with the first problem otherwise.')
    .action(async (o: { json?: boolean }) => {
      const { runCheck } = await import('./admin-ops-run.js');
      await runCheck(f, o);
    });

  const token =
    admin.commands.find((c) => c.name() === 'token') ?? admin.command('token').description('API tokens');
  if (!token.commands.some((c) => c.name() === 'rotate'))
    token
      .command('rotate <id>')
      .description('Issue a new token for this one and revoke the old (POST /admin/tokens/{id}/rotate)')
      .option('--json', 'print {id, token, …} on stdout')
      .addHelpText('after', '\nThe new token is shown once.')
      .action(async (id: string, o: { json?: boolean }) => {
        const { runRotate } = await import('./admin-ops-run.js');
        await runRotate(f, id, o);
      });
}
