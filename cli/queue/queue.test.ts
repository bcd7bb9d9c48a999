import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileStorage, QueueLockedError } from './file.js';
import { type ReplayPort, replay } from './replay.js';
import { identityOf, openQueue, QueueStore, queuePath, sameIdentity } from './store.js';

const me = identityOf({ server: 'http://s:1', token: 'tok-a', me: { tokenId: 't1', name: 'desk' } });
const other = identityOf({ server: 'http://s:1', token: 'tok-b', me: { tokenId: 't2', name: 'other desk' } });
const home = () => mkdtempSync(join(tmpdir(), 'appt-queue-'));

const cancel = (key: string, over: object = {}) => ({
  kind: 'cancel' as const,
  appointmentId: `a-${key}`,
  idempotencyKey: key,
  version: 1,
  cancel: { reason: 'customer called' },
  ...over,
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail = code,
    readonly alternatives: unknown[] = [],
  ) {
    super(detail);
  }
}
class OfflineError extends Error {
  override name = 'OfflineError';
}

/** A fake server: answers each cancel with what `answer` says; records what was sent. */
function fakePort(answer: (id: string) => Error | undefined) {
  const sent: { id: string; key: string; version: number | undefined; reason?: string | undefined }[] = [];
  const port: ReplayPort = {
    detail: async () => ({ audit: [] }),
    async cancel(id, body, key, version) {
      const e = answer(id);
      if (e) throw e;
      sent.push({ id, key, version, reason: body.reason });
      return {
        appointment: { id, start: '2030-01-01T10:00:00Z', timezone: 'UTC' },
        feeCents: 0,
        refundCents: 0,
      };
    },
    hold: async () => ({ reservationToken: 'r1' }),
    reschedule: async (id) => ({ id, start: '2030-01-02T10:00:00Z', timezone: 'UTC' }),
  };
  return { port, sent };
}

describe('offline queue file', () => {
  it('has its own file, written whole, one entry per key, and only this login sees its intents', () => {
    const dir = home();
    const q = openQueue(dir, me);
    q.add(cancel('k1'));
    q.add(cancel('k1')); // same key: one intent
    openQueue(dir, other).add(cancel('k2'));
    expect(existsSync(join(dir, 'queue.json'))).toBe(true);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
    expect(q.all()).toHaveLength(2);
    expect(q.mine().map((x) => x.idempotencyKey)).toEqual(['k1']);
    expect(q.mine()[0]).toMatchObject({ version: 1, identity: { tokenId: 't1', server: 'http://s:1' } });
    expect(JSON.stringify(q.all())).not.toContain('tok-a'); // the token itself is not stored
    expect(sameIdentity(me, other)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  });

  it('an unreadable file is moved aside and reported, never read as empty and overwritten', () => {
    const dir = home();
    writeFileSync(queuePath(dir), '{"items":[{"id":"q1"'); // cut short
    const q = openQueue(dir, me);
    expect(q.all()).toEqual([]);
    expect(q.problems[0]).toMatch(/could not be read; it was moved aside to .*queue\.json\.unreadable-/);
    const aside = readdirSync(dir).find((f) => f.includes('unreadable'))!;
    expect(readFileSync(join(dir, aside), 'utf8')).toBe('{"items":[{"id":"q1"');
    q.add(cancel('k1'));
    expect(openQueue(dir, me).mine()).toHaveLength(1);
  });

  it('a lock left by a dead process is taken over; a live one makes a writer wait, then give up', () => {
    const dir = home();
    const path = queuePath(dir);
    writeFileSync(`${path}.lock`, `999999999 ${hostname()} ${Date.now()}\n`);
    openQueue(dir, me).add(cancel('k1'));
    expect(existsSync(`${path}.lock`)).toBe(false);
    writeFileSync(`${path}.lock`, `${process.pid} ${hostname()} ${Date.now()}\n`);
    const s = fileStorage(path, { lockTimeoutMs: 50 });
    expect(() => s.mutate(() => {})).toThrow(QueueLockedError);
    const old = fileStorage(path, { staleLockMs: 10, now: () => Date.now() + 1000 });
    old.mutate((d) => void d.items.push({ ...d.items[0]!, id: 'q2', idempotencyKey: 'k2' }));
    expect(openQueue(dir, me).mine()).toHaveLength(2);
  });

  it('a process killed while writing the queue leaves a queue that parses', async () => {
    const dir = home();
    const path = queuePath(dir);
    const script = `
      import { fileStorage } from ${JSON.stringify(new URL('./file.ts', import.meta.url).pathname)};
      const s = fileStorage(${JSON.stringify(path)});
      const pad = 'x'.repeat(20000);
      for (let i = 0; ; i++) {
        s.mutate((d) => { d.items.push({ id: 'q' + i, kind: 'cancel', appointmentId: 'a', idempotencyKey: 'k' + i, queuedAt: pad, server: 's' }); if (d.items.length > 40) d.items.shift(); });
        if (i === 3) process.stdout.write('go\\n');
      }`;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: new URL('../..', import.meta.url).pathname,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((r) => child.stdout.once('data', () => r()));
      await new Promise((r) => setTimeout(r, 20 + round * 17));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const q = openQueue(dir, me);
      expect(q.problems).toEqual([]);
      const items = JSON.parse(readFileSync(path, 'utf8')).items;
      expect(items.length).toBeGreaterThan(0);
      // the next writer takes over the dead writer's lock
      q.add(cancel(`after-${round}`));
    }
  }, 60_000);
});

describe('replay', () => {
  it('503, 429 and unreachable leave an intent queued; 409/412/422 mark it refused with the reason kept', async () => {
    const q = new QueueStore((await import('./file.js')).memoryStorage(), me);
    for (const k of ['ok', 'busy', 'limited', 'conflict', 'stale', 'reused', 'inflight']) q.add(cancel(k));
    q.add(cancel('nover', { version: null }));
    const answers: Record<string, Error> = {
      'a-busy': new HttpError(503, 'unavailable'),
      'a-limited': new HttpError(429, 'rate_limited'),
      'a-conflict': new HttpError(409, 'appointment_not_active', 'already cancelled', [{ start: 'x' }]),
      'a-stale': new HttpError(412, 'version_mismatch'),
      'a-reused': new HttpError(422, 'idempotency_key_reused'),
      'a-inflight': new HttpError(409, 'idempotency_in_flight'),
    };
    const { port, sent } = fakePort((id) => answers[id]);
    const res = await replay(q, port);
    expect(Object.fromEntries(res.map((r) => [r.appointmentId, r.result]))).toEqual({
      'a-ok': 'applied',
      'a-busy': 'kept',
      'a-limited': 'kept',
      'a-conflict': 'refused',
      'a-stale': 'refused',
      'a-reused': 'refused',
      'a-inflight': 'kept',
      'a-nover': 'applied',
    });
    expect(sent).toEqual([
      { id: 'a-ok', key: 'ok', version: 1, reason: 'customer called' },
      // never seen: no If-Match at all (not "0")
      { id: 'a-nover', key: 'nover', version: undefined, reason: 'customer called' },
    ]);
    const left = Object.fromEntries(q.mine().map((x) => [x.idempotencyKey, x]));
    expect(Object.keys(left).sort()).toEqual(['busy', 'conflict', 'inflight', 'limited', 'reused', 'stale']);
    expect(left.busy!.lastError).toBeUndefined();
    expect(left.busy!.lastAttempt?.error.status).toBe(503);
    expect(left.conflict!.lastError).toMatchObject({
      code: 'appointment_not_active',
      alternatives: [{ start: 'x' }],
    });
    expect(left.conflict!.cancel?.reason).toBe('customer called');
    expect(left.busy!.claim).toBeUndefined();
    // the next automatic replay retries the kept ones only; the refused wait for the desk
    const again = await replay(q, fakePort(() => undefined).port);
    expect(again.map((r) => r.item.idempotencyKey).sort()).toEqual(['busy', 'inflight', 'limited']);
  });

  it('stops at the first unreachable answer and keeps everything', async () => {
    const q = new QueueStore((await import('./file.js')).memoryStorage(), me);
    q.add(cancel('k1'));
    q.add(cancel('k2'));
    const { port } = fakePort(() => new OfflineError('down'));
    const res = await replay(q, port);
    expect(res.map((r) => r.result)).toEqual(['offline']);
    expect(q.mine()).toHaveLength(2);
  });

  it("another login's intents are not replayed", async () => {
    const dir = home();
    openQueue(dir, other).add(cancel('theirs'));
    const { port, sent } = fakePort(() => undefined);
    expect(await replay(openQueue(dir, me), port)).toEqual([]);
    expect(sent).toEqual([]);
    expect(openQueue(dir, other).mine()).toHaveLength(1);
  });

  it('two replayers on one queue file at once send each intent once', async () => {
    const dir = home();
    for (let i = 0; i < 20; i++) openQueue(dir, me).add(cancel(`k${i}`));
    const sent: string[] = [];
    const slowPort: ReplayPort = {
      ...fakePort(() => undefined).port,
      async cancel(id, _b, key) {
        sent.push(key);
        await new Promise((r) => setTimeout(r, 2));
        return { appointment: { id, start: 'x', timezone: 'UTC' }, feeCents: 0, refundCents: 0 };
      },
    };
    await Promise.all([replay(openQueue(dir, me), slowPort), replay(openQueue(dir, me), slowPort)]);
    expect(sent.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
    expect(openQueue(dir, me).mine()).toEqual([]);
  });
});
