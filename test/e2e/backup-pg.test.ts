import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appt } from './cli-helpers.js';

/**
 * `appt admin backup|restore` copy the SQLite file. On PostgreSQL they must not half work
 * (copy a file that is not the database, or replace one nobody reads): they refuse with one
 * line naming pg_dump / pg_restore, exit 2, and touch nothing. No PostgreSQL server is
 * needed: the refusal comes before any connection.
 */
const dir = mkdtempSync(join(tmpdir(), 'appt-backup-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const URL = 'postgres://appt:s3cret@db.example:5432/appt';

describe('appt admin backup/restore on PostgreSQL', () => {
  it('backup refuses with one line naming pg_dump (env APPT_DATABASE_URL), exit 2, no file written', async () => {
    const to = join(dir, 'out.db');
    const r = await appt(['admin', 'backup', '--to', to, '--data-dir', dir], { APPT_DATABASE_URL: URL });
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /PostgreSQL \(APPT_DATABASE_URL\): use pg_dump -Fc -f appt\.dump 'postgres:\/\/appt@db\.example:5432\/appt'/,
    );
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).not.toContain('out.db');
  });

  it('restore refuses with one line naming pg_restore (APPT_DATABASE_URL in appt.json), exit 2, --yes or not', async () => {
    const d = mkdtempSync(join(dir, 'file-'));
    writeFileSync(join(d, 'appt.json'), JSON.stringify({ APPT_DATABASE_URL: URL }));
    const from = join(dir, 'some-backup.db');
    writeFileSync(from, 'not a database');
    for (const extra of [[], ['--yes']]) {
      const r = await appt(['admin', 'restore', '--from', from, '--data-dir', d, ...extra], {
        APPT_DATABASE_URL: undefined,
      });
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /stop the servers, then use pg_restore --clean --if-exists -d 'postgres:\/\/appt@db\.example:5432\/appt' appt\.dump/,
      );
      expect(r.stderr).not.toContain('s3cret');
    }
    expect(readdirSync(d)).toEqual(['appt.json']);
  });
});
