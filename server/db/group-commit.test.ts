import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, sqliteOf } from './open.js';
import type { Db } from './port.js';

/**
 * Issue 14: group commit on SQLite. Transactions that arrive together share one COMMIT; each
 * is a savepoint of its own; none resolves before the COMMIT has returned; a failing member
 * rolls back alone; a failing COMMIT fails every member and keeps nothing.
 */
let dir: string | undefined;
let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = undefined;
  dir = undefined;
});

async function open(groupCommit: boolean) {
  dir = mkdtempSync(join(tmpdir(), 'appt-group-'));
  db = await openDb(join(dir, 'g.db'), { migrate: false, groupCommit });
  sqliteOf(db).exec(`CREATE TABLE parent (id TEXT PRIMARY KEY);
    CREATE TABLE child (id TEXT PRIMARY KEY, pid TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);`);
  return db;
}
/** COMMIT statements the writer connection runs from now on */
function countCommits(d: Db): () => number {
  const w = sqliteOf(d);
  const exec = w.exec.bind(w);
  let n = 0;
  w.exec = (sql: string) => {
    if (/^\s*COMMIT\b/i.test(sql)) n++;
    return exec(sql);
  };
  return () => n;
}
const visible = async (d: Db) =>
  (await d.all<{ id: string }>('SELECT id FROM parent ORDER BY id')).map((r) => r.id);

describe('14. SQLite group commit', () => {
  it('ten transactions arriving together: one COMMIT, none resolved before it, all kept', async () => {
    const d = await open(true);
    const commits = countCommits(d);
    const resolved: string[] = [];
    const seenByReader: string[][] = [];
    const members = Array.from({ length: 10 }, (_, i) =>
      d
        .transaction(async (tx) => {
          await tx.run('INSERT INTO parent (id) VALUES (?)', [`p${i}`]);
          // the earlier members' rows are in the shared transaction, not yet committed:
          // the reader connection (every read outside a transaction) does not see them
          seenByReader.push(await visible(d));
          return i;
        })
        .then((i) => {
          resolved.push(`p${i}`);
          return i;
        }),
    );
    expect(await Promise.all(members)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seenByReader.every((s) => s.length === 0)).toBe(true);
    expect(commits()).toBe(1);
    expect(await visible(d)).toEqual(resolved.slice().sort());
  });

  it('a member that throws rolls back alone and is answered at once; the others commit', async () => {
    const d = await open(true);
    const results = await Promise.allSettled(
      [0, 1, 2, 3].map((i) =>
        d.transaction(async (tx) => {
          await tx.run('INSERT INTO parent (id) VALUES (?)', [`p${i}`]);
          if (i === 2) {
            // and a duplicate key inside the same member: its own savepoint takes both back
            await tx.run('INSERT INTO parent (id) VALUES (?)', ['p0']);
          }
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(await visible(d)).toEqual(['p0', 'p1', 'p3']);
  });

  it('a COMMIT that fails fails every member of the batch and keeps none of their rows', async () => {
    const d = await open(true);
    await d.transaction(async (tx) => tx.run("INSERT INTO parent (id) VALUES ('kept')"));
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) =>
        d.transaction(async (tx) => {
          await tx.run('INSERT INTO parent (id) VALUES (?)', [`p${i}`]);
          // a deferred foreign key is checked only at COMMIT: member 1 makes the shared one fail
          if (i === 1) await tx.run("INSERT INTO child (id, pid) VALUES ('c', 'nobody')");
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(await visible(d)).toEqual(['kept']);
    // the writer is usable again
    await d.run("INSERT INTO parent (id) VALUES ('after')");
    expect(await visible(d)).toEqual(['after', 'kept']);
  });

  it('a lone statement outside a transaction joins the batch and waits for its COMMIT', async () => {
    const d = await open(true);
    const commits = countCommits(d);
    await Promise.all([
      d.run("INSERT INTO parent (id) VALUES ('a')"),
      d.transaction(async (tx) => tx.run("INSERT INTO parent (id) VALUES ('b')")),
      d.run("INSERT INTO parent (id) VALUES ('c')"),
    ]);
    expect(commits()).toBe(1);
    expect(await visible(d)).toEqual(['a', 'b', 'c']);
  });

  it('off: one COMMIT per transaction', async () => {
    const d = await open(false);
    const commits = countCommits(d);
    await Promise.all(
      [0, 1, 2].map((i) =>
        d.transaction(async (tx) => tx.run('INSERT INTO parent (id) VALUES (?)', [`p${i}`])),
      ),
    );
    expect(commits()).toBe(3);
  });

  it('close commits a batch still open', async () => {
    const d = await open(true);
    const path = join(dir!, 'g.db');
    const pending = d.run("INSERT INTO parent (id) VALUES ('late')");
    await d.close();
    await pending;
    db = await openDb(path, { migrate: false });
    expect(await visible(db)).toEqual(['late']);
  });
});
