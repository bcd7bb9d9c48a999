import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { api, BIN } from '../server-process.js';

/** bin/appt (APPT_E2E_BIN points at another build while several people rebuild dist/). */
export const APPT = process.env.APPT_E2E_BIN ?? BIN;

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'appt-home-'));
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `appt …` as a script would: no TTY, NO_COLOR, its own config home. */
export async function appt(
  args: string[],
  env: Record<string, string | undefined> = {},
  opts: Options = {},
): Promise<CliResult> {
  const r = await execa(process.execPath, [APPT, ...args], {
    reject: false,
    env: { NO_COLOR: '1', APPT_SERVER: undefined, APPT_TOKEN: undefined, ...env },
    extendEnv: true,
    timeout: 120_000,
    ...opts,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export function json<T = any>(s: string): T {
  return JSON.parse(s) as T;
}

export function jsonLines<T = any>(s: string): T[] {
  return s
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** YYYY-MM-DD `n` days from now in `zone`. */
export function dayFromNow(n: number, zone = 'America/New_York'): string {
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(Date.now());
  const [y, m, d] = today.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export interface Slot {
  id: string;
  start: string;
  end: string;
  status: string;
}

export async function slots(
  base: string,
  token: string,
  providerId: string,
  serviceId: string,
  date: string,
): Promise<Slot[]> {
  const r = await api(
    base,
    token,
    'GET',
    `/providers/${providerId}/availability?serviceId=${serviceId}&date=${date}`,
  );
  if (r.status !== 200) throw new Error(`availability ${r.status}: ${r.text}`);
  return r.json.timeslots as Slot[];
}

/** Hold + book one slot through the API (holds again if a loaded machine let the hold lapse). */
export async function book(
  base: string,
  token: string,
  b: { providerId: string; serviceId: string; userId: string; timeslotId: string },
): Promise<{ id: string; start: string; end: string; version: number; status: string }> {
  for (let attempt = 1; ; attempt++) {
    const h = await api(base, token, 'POST', '/reservations', b);
    if (h.status !== 201) throw new Error(`hold ${h.status}: ${h.text}`);
    const k = `seed-${b.timeslotId}-${Math.random()}`;
    const a = await api(
      base,
      token,
      'POST',
      '/bookings',
      { reservationToken: h.json.reservationToken, userId: b.userId },
      { 'idempotency-key': k },
    );
    if (a.status === 201) return a.json;
    if (a.json?.code !== 'reservation_expired' || attempt >= 5)
      throw new Error(`book ${a.status}: ${a.text}`);
  }
}

/** Books `n` appointments on the free slots of consecutive days from `fromDay`, `concurrency` at a time. */
export async function bookMany(
  base: string,
  token: string,
  c: { providerId: string; serviceId: string; userId: string },
  n: number,
  fromDay: number,
  concurrency = 12,
) {
  const todo: Slot[] = [];
  for (let d = fromDay; todo.length < n && d < fromDay + 200; d++) {
    const free = (await slots(base, token, c.providerId, c.serviceId, dayFromNow(d))).filter(
      (s) => s.status === 'available',
    );
    todo.push(...free.slice(0, n - todo.length));
  }
  const out: { id: string; start: string; end: string; version: number; status: string }[] = new Array(
    todo.length,
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < todo.length) {
        const i = next++;
        out[i] = await book(base, token, {
          providerId: c.providerId,
          serviceId: c.serviceId,
          userId: c.userId,
          timeslotId: todo[i].id,
        });
      }
    }),
  );
  return out;
}

/** A provider with a 5-minute service (96 slots a day: many appointments fast). */
export async function fastCatalog(base: string, admin: string, zone = 'America/New_York') {
  const p = await api(base, admin, 'POST', '/admin/providers', { name: 'Bulk Clinic', timezone: zone });
  await api(
    base,
    admin,
    'PUT',
    `/admin/providers/${p.json.id}/hours`,
    [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '20:00' })),
  );
  const s = await api(base, admin, 'POST', '/admin/services', {
    providerId: p.json.id,
    title: 'Quick',
    durationMinutes: 5,
    priceCents: 1000,
    cancellation: { freeUntilHoursBefore: 0, feeCents: 0 },
  });
  const u = await api(base, admin, 'POST', '/admin/users', {
    name: 'Bulk Customer',
    email: 'bulk@example.com',
  });
  const staff = await api(base, admin, 'POST', '/admin/tokens', { name: 'bulk desk', role: 'staff' });
  return {
    providerId: p.json.id as string,
    serviceId: s.json.id as string,
    // one customer per email: a second catalog on the same server reuses it (409 email_taken names it)
    userId: (u.status === 409 ? u.json.userId : u.json.id) as string,
    staff: staff.json.token as string,
  };
}

/** Every audit entry matching a query (follows cursors). */
export async function auditAll(base: string, token: string, q: string) {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const r: { status: number; json: any; text: string } = await api(
      base,
      token,
      'GET',
      `/admin/audit?${q}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (r.status !== 200) throw new Error(`audit ${r.status}: ${r.text}`);
    items.push(...r.json.items);
    cursor = r.json.nextCursor;
  } while (cursor);
  return items;
}
