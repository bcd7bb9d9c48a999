import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { encodeTimeslotId } from '../../server/availability/slots.js';
import { openDb, sqliteOf } from '../../server/db/open.js';
import { startAppt } from './procs.js';
import { type SeededCatalog, seedCatalog } from './seed.js';

/** The data the API benchmarks run on, built the same way for every placement. */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/**
 * Rate limits off, and no cap on a customer's live holds (the default 2 would turn every
 * third hold of the bench user into a 409 `too_many_holds`).
 */
export const BENCH_ENV = {
  APPT_RATE_LIMIT_USER: '0',
  APPT_RATE_LIMIT_STAFF: '0',
  APPT_MAX_HOLDS_PER_USER: '0',
};

export interface Dataset {
  dataDir: string;
  cat: SeededCatalog;
  appointments: number;
}

export const utcMidnight = (ms: number) => Math.floor(ms / DAY) * DAY;

/**
 * Builds a data directory under `parent`: catalog through the admin API, then `n`
 * appointments inserted directly with SQL (fine for a read benchmark; migrations applied by
 * openDb). Each provider gets 8 appointments a day (on the hour, 09:00–16:00 UTC) going back
 * from 20 days ahead, so the day measured (3 days ahead) looks the same in both sizes; only
 * history grows.
 */
export async function buildDataset(
  n: number,
  o: { bin?: string; parent?: string; providers?: number },
): Promise<Dataset> {
  const dataDir = mkdtempSync(join(o.parent ?? tmpdir(), 'appt-bench-'));
  const srv = await startAppt({ dataDir, env: BENCH_ENV, ...(o.bin ? { bin: o.bin } : {}) });
  let cat: SeededCatalog;
  try {
    cat = await seedCatalog(srv.url, srv.adminToken, { providers: o.providers ?? 10, users: 50 });
  } finally {
    await srv.stop();
  }
  if (n === 0) return { dataDir, cat, appointments: 0 };
  const db = await openDb(join(dataDir, 'appt.db'));
  const now = Date.now();
  const endDay = utcMidnight(now) + 20 * DAY;
  const ins = sqliteOf(db).prepare(
    `INSERT INTO appointments (id, user_id, provider_id, service_id, start_at, end_at, block_start, block_end, status,
      price_cents, currency, version, reschedule_count, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 5000, 'USD', 1, 0, ?, ?)`,
  );
  const P = cat.providers.length;
  sqliteOf(db).transaction(() => {
    for (let i = 0; i < n; i++) {
      const p = cat.providers[i % P]!;
      const k = Math.floor(i / P);
      const start = endDay - Math.floor(k / 8) * DAY + (9 + (k % 8)) * HOUR;
      const end = start + 30 * 60_000;
      const user = cat.users[(k + (i % P)) % cat.users.length]!;
      const r = i % 20;
      const status =
        start > now
          ? r === 0
            ? 'cancelled'
            : 'confirmed'
          : r < 3
            ? 'cancelled'
            : r === 3
              ? 'no_show'
              : 'completed';
      ins.run(
        uuidv7(),
        user.id,
        p.id,
        p.serviceId,
        start,
        end,
        start,
        end,
        status,
        start - 7 * DAY,
        start - 7 * DAY,
      );
    }
  })();
  await db.close();
  return { dataDir, cat, appointments: n };
}

/**
 * Slot i of a rotation over every provider's 09:00–16:30 UTC slots, from 25 days ahead
 * (16 slots a provider a day; the services' horizon is 365 days).
 */
export function slotBody(cat: SeededCatalog, i: number, firstDay: number) {
  const P = cat.providers.length;
  const p = cat.providers[i % P]!;
  const rest = Math.floor(i / P);
  const start = firstDay + Math.floor(rest / 16) * DAY + 9 * HOUR + (rest % 16) * 30 * 60_000;
  return { providerId: p.id, serviceId: p.serviceId, timeslotId: encodeTimeslotId(p.serviceId, start) };
}

/** How many distinct slots slotBody can hand out before it runs past the horizon. */
export const slotCapacity = (cat: SeededCatalog) => cat.providers.length * 16 * 330;
