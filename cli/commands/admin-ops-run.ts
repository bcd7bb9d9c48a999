import { resolve } from 'node:path';
import { BackupError, backupDataDir, restoreDataDir } from '../../server/entry.js';
import { CliError, EXIT } from '../exit-codes.js';
import { type Factory, using } from '../factory.js';
import type { IO } from '../io.js';
import type { DataDirFlags } from './admin-ops.js';

function dataDirOf(io: IO, o: DataDirFlags): string {
  return resolve(o.dataDir ?? io.env.APPT_DATA_DIR ?? './data');
}

/**
 * backup and restore copy the SQLite file; on PostgreSQL (APPT_DATABASE_URL, in the
 * environment or <data-dir>/appt.json) they refuse with one line naming the tools that do
 * it whole, rather than copy a file that is not the database.
 */
async function refuseOnPostgres(io: IO, dir: string, what: 'backup' | 'restore'): Promise<void> {
  const { loadConfig, ConfigError } = await import('../../server/entry.js');
  let url: string | undefined;
  try {
    url = loadConfig({ dataDir: dir }, io.env).databaseUrl;
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  if (!url) return;
  // the URL as given, less its password (pg_dump takes that from PGPASSWORD or ~/.pgpass)
  const u = new URL(url);
  u.password = '';
  const shown = u.toString();
  throw new CliError(
    what === 'backup'
      ? `appt admin backup copies the SQLite file; this server runs on PostgreSQL (APPT_DATABASE_URL): use pg_dump -Fc -f appt.dump '${shown}'`
      : `appt admin restore replaces the SQLite file; this server runs on PostgreSQL (APPT_DATABASE_URL): stop the servers, then use pg_restore --clean --if-exists -d '${shown}' appt.dump`,
    EXIT.usage,
  );
}

export async function runBackup(io: IO, o: DataDirFlags & { to: string }): Promise<void> {
  const dir = dataDirOf(io, o);
  await refuseOnPostgres(io, dir, 'backup');
  try {
    const r = await backupDataDir(dir, o.to);
    if (o.json) io.out(`${JSON.stringify(r)}\n`);
    else io.out(`${r.file}\n`);
    io.err(
      `backup of ${dir}: ${r.bytes} bytes, ${r.appointments} appointments, ${r.auditEntries} audit entries, integrity ok (${r.tookMs} ms)\n`,
    );
  } catch (e) {
    if (e instanceof BackupError) throw new CliError(`backup failed: ${e.message}`, EXIT.failed);
    throw e;
  }
}

export async function runRestore(io: IO, o: DataDirFlags & { from: string; yes?: boolean }): Promise<void> {
  const dir = dataDirOf(io, o);
  await refuseOnPostgres(io, dir, 'restore');
  if (!o.yes) {
    if (!io.stdinTTY)
      throw new CliError('restore replaces the database; pass --yes (no TTY to ask on)', EXIT.usage);
    const a = await io.prompt(`Replace the database in ${dir} with ${resolve(o.from)}? [y/N] `);
    if (!/^y(es)?$/i.test(a.trim())) {
      io.err('nothing restored\n');
      return;
    }
  }
  try {
    const r = await restoreDataDir(dir, o.from);
    if (o.json) io.out(`${JSON.stringify(r)}\n`);
    else io.out(`${r.file}\n`);
    io.err(
      `restored ${r.appointments} appointments, ${r.auditEntries} audit entries from ${r.from}${
        r.previous ? `; the old database is kept as ${r.previous}` : ''
      }\n`,
    );
  } catch (e) {
    if (e instanceof BackupError) throw new CliError(`restore refused: ${e.message}`, EXIT.failed);
    throw e;
  }
}

export async function runCheck(f: Factory, o: { json?: boolean }): Promise<void> {
  const { io } = f;
  const { toCliError } = await import('../runtime.js');
  await using(f, async () => {
    const rt = await f.runtime({ json: o.json, replay: false });
    let r: Awaited<ReturnType<typeof rt.client.check>>;
    try {
      r = await rt.client.check();
    } catch (e) {
      throw toCliError(e, io, Boolean(o.json));
    }
    if (o.json) io.out(`${JSON.stringify(r)}\n`);
    if (r.ok) {
      if (!o.json) io.out('ok: invariants hold and the audit chain verifies\n');
      return;
    }
    const first = r.problems[0];
    if (!o.json) for (const p of r.problems) io.out(`${p.kind}${p.id ? ` ${p.id}` : ''}: ${p.detail}\n`);
    const failed = new CliError(
      `check failed (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}): ${first.kind}: ${first.detail}`,
      EXIT.failed,
    );
    // with --json the result above is the one document on stdout; the reason goes to stderr only
    throw o.json ? failed.printed() : failed;
  });
}

export async function runRotate(f: Factory, id: string, o: { json?: boolean }): Promise<void> {
  const { io } = f;
  const { toCliError } = await import('../runtime.js');
  await using(f, async () => {
    const rt = await f.runtime({ json: o.json, replay: false });
    try {
      const t = await rt.client.rotateToken(id);
      if (o.json) io.out(`${JSON.stringify(t)}\n`);
      else io.out(`${t.token}\n`);
      io.err(`token ${id} revoked; the new token (id ${t.id}) is shown once\n`);
    } catch (e) {
      throw toCliError(e, io, Boolean(o.json));
    }
  });
}
