import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDb } from '../db/open.js';
import { backupDataDir, restoreDataDir, verifyDatabaseFile } from '../ops/backup.js';
import { type Harness, makeHarness } from '../testing/harness.js';
import { removeTail, threeEntries } from './testing.js';

// SQLite only (vitest.pg.config.ts leaves it out): `appt admin restore` of a SQLite backup
// file. The truncation checks on the live database are in truncation.test.ts, on both backends.

let h: Harness;
let out: string;
beforeEach(async () => {
  h = await makeHarness();
  out = mkdtempSync(join(tmpdir(), 'appt-trunc-'));
});
afterEach(async () => {
  await h.close();
  rmSync(out, { recursive: true, force: true });
});

describe('12.9 audit truncation is detected', () => {
  it('appt admin restore verifies the backup chain and refuses a truncated one, leaving the data as it was', async () => {
    const id = await threeEntries(h);
    const good = await backupDataDir(h.dir, join(out, 'good.db'));
    const bad = await backupDataDir(h.dir, join(out, 'bad.db'));
    const file = new SqliteDb(new Database(bad.file), bad.file);
    await removeTail(file, id, 1);
    await file.close();
    expect(verifyDatabaseFile(bad.file).auditEntries).toBe(good.auditEntries - 1); // SQLite itself sees no damage

    const target = join(out, 'data');
    mkdirSync(target);
    await expect(restoreDataDir(target, bad.file)).rejects.toThrow(
      /audit log in .*bad\.db does not verify \(chain .* newest 1 were removed\); nothing was restored/,
    );
    expect(existsSync(join(target, 'appt.db'))).toBe(false);
    expect(existsSync(join(target, 'appt.db.restoring'))).toBe(false);
    const r = await restoreDataDir(target, good.file);
    expect(r.auditEntries).toBe(good.auditEntries);
  });
});
