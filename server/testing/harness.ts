import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import type { Actor } from '../audit/audit.js';
import { insertToken } from '../auth/tokens.js';
import { createProvider, createService, createUser, setHours } from '../catalog/catalog.js';
import { type Config, testConfig } from '../config.js';
import { type AppContext, createContext, ManualClock } from '../context.js';
import { openDatabase } from '../db/open.js';
import { write } from '../outbox/write.js';
import { freshPgDatabase, PG_SUITE } from './pg.js';

/**
 * Test scaffolding around the real app: a context on a temp-file (or in-memory) database,
 * a movable clock, a small catalog and tokens for every role. Used by unit, route and
 * end-to-end tests alike; nothing here mocks a component.
 */
export interface Harness {
  ctx: AppContext;
  clock: ManualClock;
  app: FastifyInstance;
  dir: string;
  tokens: { admin: string; staff: string; support: string; alice: string; bob: string };
  ids: { provider: string; service: string; service60: string; alice: string; bob: string };
  /** a second provider in Pacific/Auckland */
  close(): Promise<void>;
}

const seedActor: Actor = { id: 'test-seed', type: 'admin', role: 'admin', channel: 'system' };

export interface HarnessOptions {
  config?: Partial<Config>;
  /** default 2030-01-07T12:00:00Z (a Monday) */
  now?: string;
  timezone?: string;
  file?: boolean;
  listen?: boolean;
  /** the server's logger (tests that read log lines) */
  logger?: AppContext['logger'];
}

export async function makeHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'appt-test-'));
  // the PostgreSQL run of the suite: a fresh database for each harness that names none
  const pgDb = PG_SUITE && !opts.config?.databaseUrl ? await freshPgDatabase({ migrated: true }) : undefined;
  const config = testConfig({
    dataDir: dir,
    dbPath: opts.file === false ? ':memory:' : join(dir, 'appt.db'),
    reservationTtlSeconds: 90,
    rateLimitUser: 0,
    rateLimitStaff: 0,
    ...opts.config,
    ...(pgDb ? { databaseUrl: pgDb.url } : {}),
  });
  const clock = new ManualClock(Date.parse(opts.now ?? '2030-01-07T12:00:00Z'));
  const ctx = await createContext(config, {
    clock,
    db: await openDatabase(config),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const now = clock.now();
  const ids = await write(ctx, async (w) => {
    const p = await createProvider(w.db, w, seedActor, {
      name: 'Dr. Test',
      timezone: opts.timezone ?? 'America/New_York',
      email: 'doc@example.com',
    });
    await setHours(
      w.db,
      w,
      seedActor,
      p.id,
      [1, 2, 3, 4, 5, 6, 7].map((d) => ({ weekday: d, start: '09:00', end: '17:00' })),
    );
    const s = await createService(w.db, w, seedActor, {
      providerId: p.id,
      title: 'Consultation',
      durationMinutes: 30,
      priceCents: 5000,
      cancellation: { freeUntilHoursBefore: 24, feeCents: 1500 },
    });
    const s60 = await createService(w.db, w, seedActor, {
      providerId: p.id,
      title: 'Long session',
      durationMinutes: 60,
      slotStepMinutes: 30,
      priceCents: 9000,
    });
    const alice = await createUser(w.db, w, seedActor, { name: 'Alice Doe', email: 'alice@example.com' });
    const bob = await createUser(w.db, w, seedActor, {
      name: 'Bob Roe',
      email: 'bob@example.com',
      phone: '+15550100',
    });
    return { provider: p.id, service: s.id, service60: s60.id, alice: alice.id, bob: bob.id };
  });
  const tokens = {
    admin: (await insertToken(ctx.db, now, { name: 'admin', role: 'admin' })).token,
    staff: (await insertToken(ctx.db, now, { name: 'front desk', role: 'staff' })).token,
    support: (await insertToken(ctx.db, now, { name: 'support', role: 'support' })).token,
    alice: (await insertToken(ctx.db, now, { name: 'alice', role: 'user', userId: ids.alice })).token,
    bob: (await insertToken(ctx.db, now, { name: 'bob', role: 'user', userId: ids.bob })).token,
  };
  // every problem a test provokes must be one the OpenAPI document lists for that operation
  const problems = new Map<string, { op: string; status: number; code: string }>();
  const app = await buildApp(ctx, {
    onProblem: (op, status, code) => problems.set(`${op} ${status} ${code}`, { op, status, code }),
  });
  if (opts.listen) await app.listen({ port: 0, host: '127.0.0.1' });
  else await app.ready();
  return {
    ctx,
    clock,
    app,
    dir,
    tokens,
    ids,
    async close() {
      const undocumented = problems.size ? await undocumentedProblems(app, [...problems.values()]) : [];
      await app.close();
      await ctx.db.close();
      // the PostgreSQL run: dropped in the background (the next test need not wait ~0.3 s for
      // it); whatever a worker leaves behind when it exits, the run's teardown drops
      if (pgDb) void pgDb.drop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      if (undocumented.length) {
        process.stderr.write(`undocumented problem answers: ${undocumented.join('; ')}\n`);
        throw new Error(
          `problem answers the OpenAPI document does not list (add them to server/http/error-codes.ts): ${undocumented.join('; ')}`,
        );
      }
    },
  };
}

/** The problems seen that /openapi.json does not list under their operation and status. */
async function undocumentedProblems(
  app: FastifyInstance,
  seen: { op: string; status: number; code: string }[],
): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (res.statusCode !== 200) return [];
  const doc = res.json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const out: string[] = [];
  for (const p of seen) {
    const [method, path] = p.op.split(' ');
    const op = doc.paths[path]?.[method];
    if (!op) continue; // a route the document leaves out on purpose (e.g. the WebSocket upgrade)
    const r = op.responses[String(p.status)] as
      | {
          content?: Record<
            string,
            { schema?: { allOf?: { properties?: { code?: { enum?: string[] } } }[] } }
          >;
        }
      | undefined;
    const listed = r?.content?.['application/problem+json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? [];
    if (!listed.includes(p.code)) out.push(`${p.op} → ${p.status} ${p.code}`);
  }
  return out;
}

export function auth(token: string, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${token}`, ...extra };
}

/** Availability of a day as the API serves it. */
export async function slotsOf(h: Harness, date: string, serviceId = h.ids.service, token = h.tokens.staff) {
  const r = await h.app.inject({
    method: 'GET',
    url: `/providers/${h.ids.provider}/availability?serviceId=${serviceId}&date=${date}`,
    headers: auth(token),
  });
  if (r.statusCode !== 200) throw new Error(`availability ${r.statusCode}: ${r.body}`);
  return r.json() as {
    timeslots: { id: string; start: string; end: string; status: string }[];
    timezone: string;
  };
}

let keyN = 0;
/** Hold + book through the API; returns the appointment. */
export async function bookVia(
  h: Harness,
  timeslotId: string,
  opts: { token?: string; userId?: string; serviceId?: string } = {},
) {
  const token = opts.token ?? h.tokens.staff;
  const userId = opts.userId ?? h.ids.alice;
  const hold = await h.app.inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(token),
    payload: { providerId: h.ids.provider, serviceId: opts.serviceId ?? h.ids.service, timeslotId, userId },
  });
  if (hold.statusCode !== 201) throw new Error(`hold ${hold.statusCode}: ${hold.body}`);
  const b = await h.app.inject({
    method: 'POST',
    url: '/bookings',
    headers: auth(token, { 'idempotency-key': `test-book-${++keyN}` }),
    payload: { reservationToken: hold.json().reservationToken, userId },
  });
  if (b.statusCode !== 201) throw new Error(`book ${b.statusCode}: ${b.body}`);
  return b.json() as { id: string; version: number; start: string; end: string; status: string };
}

/** POST /reservations for the harness provider (the 30-minute service unless `serviceId` is given). */
export function holdVia(
  h: Harness,
  body: { timeslotId: string; userId?: string; serviceId?: string; appointmentId?: string },
  o: { token?: string; app?: FastifyInstance } = {},
) {
  return (o.app ?? h.app).inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(o.token ?? h.tokens.staff),
    payload: { providerId: h.ids.provider, serviceId: h.ids.service, ...body },
  });
}
