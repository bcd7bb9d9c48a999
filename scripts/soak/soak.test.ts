import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, stmt } from '../../server/db/open.js';
import { dropOverlapBackstop } from '../../server/testing/bypass.js';
import { freshPgDatabase, PG_SUITE } from '../../server/testing/pg.js';
import { backendEnv, dropBackend } from '../../test/server-process.js';
import { api, killAllChildren, seedCatalog } from '../bench/common.js';
import { killTimes, runSoak } from './index.js';
import { checkAll } from './invariants.js';
import { Ledger } from './ledger.js';
import { parseSoakArgs } from './options.js';
import { Supervised } from './server.js';

describe('soak options', () => {
  it('reads the documented interface and defaults', () => {
    const o = parseSoakArgs(['--duration', '600', '--kills', '10', '--clients', '30', '--think', '100-500']);
    expect(o).toMatchObject({
      duration: 600,
      kills: 10,
      clients: 30,
      think: [100, 500],
      ttl: 20,
      providers: 6,
    });
    expect(parseSoakArgs([]).clients).toBe(50);
    expect(parseSoakArgs(['--help']).help).toBe(true);
  });

  it('refuses bad values and unknown options', () => {
    expect(() => parseSoakArgs(['--clients', '501'])).toThrow(/--clients must be a number from 1 to 500/);
    expect(() => parseSoakArgs(['--duration', 'x'])).toThrow(/--duration/);
    expect(() => parseSoakArgs(['--think', '900-100'])).toThrow(/--think/);
    expect(() => parseSoakArgs(['--bin'])).toThrow(/--bin needs a path/);
    expect(() => parseSoakArgs(['--frobnicate'])).toThrow(/unknown option --frobnicate/);
  });

  it('spreads kills over the run, inside it', () => {
    const t = killTimes(600_000, 10);
    expect(t).toHaveLength(10);
    for (const x of t) expect(x > 0 && x < 600_000).toBe(true);
    expect([...t].sort((a, b) => a - b)).toEqual(t);
  });
});

afterAll(() => killAllChildren());

describe('soak against the real server process', () => {
  it('a short run with a SIGKILL ends with zero violations', async () => {
    // the PostgreSQL run of the suite: the soak's own --database-url, on a fresh database
    const pg = PG_SUITE ? await freshPgDatabase({ migrated: true }) : undefined;
    const r = await runSoak({
      ...parseSoakArgs([
        ...(pg ? ['--database-url', pg.url] : []),
        '--duration',
        '8',
        '--kills',
        '1',
        '--clients',
        '10',
        '--drain',
        '15',
        '--outbox-wait',
        '3',
      ]),
      think: [50, 300],
      log: () => {},
    }).finally(() => pg?.drop());
    expect(r.summary).toMatch(/\n0 invariant violations$/);
    expect(r.violations).toBe(0);
    expect(r.ledger.kills).toBe(1);
    expect(r.ledger.restarts).toBe(1);
    expect(r.ledger.acks.length).toBeGreaterThan(0);
    expect(r.ledger.checks).toBe(2);
    expect(r.ledger.serverErrors()).toBe(0);
  }, 120_000);
});

describe('the invariant checker catches broken promises', () => {
  let dataDir = '';
  let server: Supervised;
  let target: { dataDir: string; databaseUrl?: string };
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'appt-soak-check-'));
    const env = await backendEnv(dataDir); // the PostgreSQL run: a database of its own
    target = { dataDir, ...(env.APPT_DATABASE_URL ? { databaseUrl: env.APPT_DATABASE_URL } : {}) };
    server = new Supervised({ dataDir, env, args: [] });
  });
  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (dataDir) await dropBackend(dataDir);
  });

  it('reports an overlap, a lost acknowledgement, an unaudited one and a duplicate effect', async () => {
    await server.start();
    const cat = await seedCatalog(server.url, server.adminToken, {
      providers: 1,
      users: 1,
      longService: true,
    });
    const p = cat.providers[0]!;
    const u = cat.users[0]!;
    const date = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const slots = await api(
      server.url,
      u.token,
      'GET',
      `/providers/${p.id}/availability?serviceId=${p.serviceId}&date=${date}`,
    );
    const slot = slots.json.timeslots[2];
    const hold = await api(server.url, u.token, 'POST', '/reservations', {
      providerId: p.id,
      serviceId: p.serviceId,
      timeslotId: slot.id,
    });
    const booked = await api(
      server.url,
      u.token,
      'POST',
      '/bookings',
      { reservationToken: hold.json.reservationToken, userId: u.id },
      { 'idempotency-key': 'k1' },
    );
    expect(booked.status).toBe(201);

    const clean = new Ledger();
    clean.ack({
      kind: 'book',
      key: 'k1',
      appointmentId: booked.json.id,
      version: 1,
      status: 'confirmed',
      start: booked.json.start,
      end: booked.json.end,
      at: 0,
    });
    expect(await checkAll(server, target, clean, 'clean')).toBe(0);

    // a second active appointment 15 minutes into the first one: what a broken overlap check would let through
    // (on PostgreSQL the exclusion constraint behind the check would refuse it: dropped first)
    const db = await openDatabase({ dbPath: join(dataDir, 'appt.db'), databaseUrl: target.databaseUrl });
    await dropOverlapBackstop(db);
    const s = Date.parse(booked.json.start) + 15 * 60_000;
    await stmt(
      db,
      `INSERT INTO appointments (id, user_id, provider_id, service_id, start_at, end_at, block_start, block_end, status,
          price_cents, currency, version, reschedule_count, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', 5000, 'USD', 1, 0, ?, ?)`,
    ).run(uuidv7(), u.id, p.id, p.serviceId, s, s + 1_800_000, s, s + 1_800_000, Date.now(), Date.now());
    // the same key applied twice (and a forged entry, so the hash chain breaks too)
    await stmt(
      db,
      `INSERT INTO audit_entries (id, subject, appointment_id, action, outcome, actor_id, actor_type, channel,
          idempotency_key, timestamp, prev_hash, hash) VALUES (?, ?, ?, 'created', 'applied', ?, 'user', 'api', 'k1', ?, 'x', 'y')`,
    ).run(uuidv7(), booked.json.id, booked.json.id, u.id, Date.now());
    await db.close();

    const l = new Ledger();
    l.ack({
      kind: 'book',
      key: 'k1',
      appointmentId: booked.json.id,
      version: 1,
      status: 'confirmed',
      start: booked.json.start,
      end: booked.json.end,
      at: 0,
    });
    l.ack({
      kind: 'cancel',
      key: 'never-sent',
      appointmentId: booked.json.id,
      version: 2,
      status: 'cancelled',
      start: booked.json.start,
      end: booked.json.end,
      at: 0,
    });
    l.ack({
      kind: 'book',
      key: 'k2',
      appointmentId: 'no-such-appointment',
      version: 1,
      status: 'confirmed',
      start: booked.json.start,
      end: booked.json.end,
      at: 0,
    });
    const n = await checkAll(server, target, l, 'broken');
    const kinds = l.violations.map((v) => v.kind);
    expect(kinds).toContain('overlap');
    expect(kinds).toContain('server check overlap');
    expect(kinds).toContain('lost_ack');
    expect(kinds).toContain('unaudited_ack');
    expect(kinds).toContain('duplicate_effect');
    expect(kinds).toContain('audit_chain');
    expect(n).toBe(l.violations.length);
    expect(l.summary()).toMatch(new RegExp(`\\n${n} invariant violations$`));
  }, 60_000);
});
