import { copyFileSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type ServerProcess, seedCatalog, shareBackend, startServerProcess } from '../server-process.js';

/**
 * Races for one slot over real HTTP against the real server process: the database settles
 * the conflict (BEGIN IMMEDIATE + partial unique index), so exactly one hold wins.
 */
let srv: ServerProcess;
let cat: Awaited<ReturnType<typeof seedCatalog>>;
const agent = new Agent({ connections: 200, pipelining: 1 });

beforeAll(async () => {
  srv = await startServerProcess({ env: { APPT_RATE_LIMIT_STAFF: '0', APPT_RATE_LIMIT_USER: '0' } });
  cat = await seedCatalog(srv.url, srv.adminToken);
});
afterAll(async () => {
  await agent.close();
  await srv.stop();
  await srv.cleanup();
});

async function day(serviceId: string, date: string) {
  const r = await api(
    srv.url,
    cat.staff,
    'GET',
    `/providers/${cat.providerId}/availability?serviceId=${serviceId}&date=${date}`,
  );
  return r.json.timeslots as { id: string; start: string; status: string }[];
}

async function fire(bodies: Record<string, unknown>[]) {
  return Promise.all(
    bodies.map(async (b) => {
      const r = await request(`${srv.url}/reservations`, {
        method: 'POST',
        dispatcher: agent,
        headers: { authorization: `Bearer ${cat.staff}`, 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
      const body = (await r.body.json()) as { code?: string };
      return { status: r.statusCode, code: body.code };
    }),
  );
}

function tally(results: { status: number; code?: string }[]) {
  const t: Record<string, number> = {};
  for (const r of results)
    t[`${r.status}${r.code ? ` ${r.code}` : ''}`] = (t[`${r.status}${r.code ? ` ${r.code}` : ''}`] ?? 0) + 1;
  return t;
}

describe('races for one slot (real HTTP, real server process)', () => {
  it('200 concurrent holds on one slot: exactly one 201, the rest 409 slot_taken, no 5xx', async () => {
    const slots = await day(cat.s30, 'tomorrow');
    const target = slots[3];
    const results = await fire(
      Array.from({ length: 200 }, () => ({
        providerId: cat.providerId,
        serviceId: cat.s30,
        timeslotId: target.id,
        userId: cat.userId,
      })),
    );
    expect(tally(results)).toEqual({ '201': 1, '409 slot_taken': 199 });
    const after = await day(cat.s30, 'tomorrow');
    expect(after.find((s) => s.id === target.id)?.status).toBe('reserved');
  });

  it('concurrent holds on overlapping slots of a 60- and a 30-minute service: exactly one wins', async () => {
    const date = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const long = (await day(cat.s60, date))[4]; // e.g. 11:00–12:00 local
    const short = (await day(cat.s30, date)).filter((s) => s.start >= long.start).slice(0, 2); // 11:00, 11:30
    const bodies = Array.from({ length: 150 }, (_, i) => {
      const pick = i % 3;
      return pick === 0
        ? { providerId: cat.providerId, serviceId: cat.s60, timeslotId: long.id, userId: cat.userId }
        : {
            providerId: cat.providerId,
            serviceId: cat.s30,
            timeslotId: short[pick - 1].id,
            userId: cat.userId,
          };
    });
    const results = await fire(bodies);
    const t = tally(results);
    // the two 30-minute slots do not overlap each other, but each overlaps the hour:
    // either the hour wins alone, or one or both halves win and the hour loses
    expect(Object.keys(t).filter((k) => k.startsWith('5'))).toEqual([]);
    const won = results.filter((r) => r.status === 201).length;
    const after60 = (await day(cat.s60, date)).find((s) => s.id === long.id)!;
    expect(after60.status).toBe('reserved');
    if (won === 1) expect(t['409 slot_taken']).toBe(149);
    else expect(won).toBe(2);
    const check = await api(srv.url, srv.adminToken, 'GET', '/admin/check');
    expect(check.json).toEqual({ ok: true, problems: [] });
  });

  it('only one overlapping hold can win between exactly two overlapping services slots', async () => {
    const date = new Date(Date.now() + 4 * 86_400_000).toISOString().slice(0, 10);
    const long = (await day(cat.s60, date))[2];
    const half = (await day(cat.s30, date)).find((s) => s.start === long.start)!;
    const results = await fire(
      Array.from({ length: 100 }, (_, i) =>
        i % 2
          ? { providerId: cat.providerId, serviceId: cat.s60, timeslotId: long.id, userId: cat.userId }
          : { providerId: cat.providerId, serviceId: cat.s30, timeslotId: half.id, userId: cat.userId },
      ),
    );
    expect(tally(results)).toEqual({ '201': 1, '409 slot_taken': 99 });
  });

  it('two server processes on one database file: still exactly one winner per slot', async () => {
    // One server per data directory (issue 12.8), so the second process gets a directory
    // of its own whose appt.db is the first one's file: the database still settles races.
    const otherDir = mkdtempSync(join(tmpdir(), 'appt-e2e-second-'));
    symlinkSync(join(srv.dataDir, 'appt.db'), join(otherDir, 'appt.db'));
    await shareBackend(srv.dataDir, otherDir); // the PostgreSQL run: the first one's database
    for (const f of ['admin.token', 'secrets.json']) copyFileSync(join(srv.dataDir, f), join(otherDir, f));
    const second = await startServerProcess({ dataDir: otherDir, env: { APPT_RATE_LIMIT_STAFF: '0' } });
    try {
      const date = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
      const target = (await day(cat.s30, date))[6];
      const body = JSON.stringify({
        providerId: cat.providerId,
        serviceId: cat.s30,
        timeslotId: target.id,
        userId: cat.userId,
      });
      const results = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          const base = i % 2 ? srv.url : second.url;
          const r = await request(`${base}/reservations`, {
            method: 'POST',
            dispatcher: agent,
            headers: { authorization: `Bearer ${cat.staff}`, 'content-type': 'application/json' },
            body,
          });
          const j = (await r.body.json()) as { code?: string };
          return { status: r.statusCode, code: j.code };
        }),
      );
      expect(tally(results)).toEqual({ '201': 1, '409 slot_taken': 119 });
    } finally {
      await second.stop();
      await second.cleanup();
    }
  });
});
