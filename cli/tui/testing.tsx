import type {
  Alternative,
  Appointment,
  AppointmentDetail,
  Availability,
  CancellationQuote,
  Me,
} from '../../shared/schemas.js';
import { type ListQuery, ManualTuiClock, memoryStore, type TuiData, type TuiStore } from './data.js';
import { App } from './Shell.js';

/**
 * Test fixtures for the screens: an in-memory TuiData with switchable failures and a
 * ManualTuiClock. Only tests import this file.
 */
export const T0 = Date.parse('2030-01-07T12:00:00Z');
export const ZONE = 'America/New_York';

let n = 0;
export function appt(over: Partial<Appointment> = {}): Appointment {
  n++;
  const start = over.start ?? new Date(T0 + (24 + n) * 3600_000).toISOString();
  return {
    id: `a${n}`,
    userId: 'u1',
    userName: 'Ada Lovelace',
    providerId: 'p1',
    providerName: 'Dr. Rivera',
    serviceId: 's1',
    serviceTitle: 'Cleaning',
    start,
    end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
    timezone: ZONE,
    status: 'confirmed',
    priceCents: 12000,
    currency: 'USD',
    version: 1,
    rescheduleCount: 0,
    previousStart: null,
    previousEnd: null,
    cancelledAt: null,
    cancelReason: null,
    feeCents: null,
    refundCents: null,
    needsAttention: false,
    attentionReason: null,
    cancellationPolicy: {
      refundableUntil: new Date(Date.parse(start) - 24 * 3600_000).toISOString(),
      feeCents: 2500,
      freeUntilHoursBefore: 24,
      text: 'Free until 24 h before; 25.00 USD after.',
    },
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...over,
  };
}

/** Slots 09:00–16:30 local every 30 minutes on `date`. */
export function dayOfSlots(date: string, taken: string[] = []): Availability {
  const base = Date.parse(`${date}T14:00:00Z`); // 09:00 in New York (winter)
  return {
    providerId: 'p1',
    serviceId: 's1',
    date,
    timezone: ZONE,
    timeslots: Array.from({ length: 16 }, (_, i) => {
      const start = new Date(base + i * 30 * 60_000).toISOString();
      return {
        id: `ts_${date}_${i}`,
        start,
        end: new Date(base + (i + 1) * 30 * 60_000).toISOString(),
        status: taken.includes(start.slice(11, 16)) ? 'booked' : 'available',
      } as Availability['timeslots'][number];
    }),
  };
}

export type Method = keyof TuiData;

export class FakeData implements TuiData {
  items: Appointment[];
  meValue: Me = { tokenId: 't1', name: 'Ada Lovelace', role: 'user', userId: 'u1' };
  fail: Partial<Record<Method, Error>> = {};
  /** methods whose promise never settles (loading states) */
  hang = new Set<Method>();
  calls: { method: Method; args: unknown[] }[] = [];
  taken: string[] = [];
  holdTtlMs = 90_000;
  pageSize = 50;
  constructor(
    items: Appointment[],
    readonly clock: ManualTuiClock,
  ) {
    this.items = items;
  }
  private async go<T>(method: Method, args: unknown[], fn: () => T): Promise<T> {
    this.calls.push({ method, args });
    await Promise.resolve();
    if (this.hang.has(method)) return new Promise<T>(() => {});
    const f = this.fail[method];
    if (f) throw f;
    return fn();
  }
  count(m: Method) {
    return this.calls.filter((c) => c.method === m).length;
  }
  me() {
    return this.go('me', [], () => this.meValue);
  }
  list(q: ListQuery) {
    return this.go('list', [q], () => {
      const from = q.cursor ? Number(q.cursor) : 0;
      const all = this.items.filter((a) =>
        q.mode === 'user' && q.filter === 'upcoming' ? a.status !== 'cancelled' : true,
      );
      const items = all.slice(from, from + this.pageSize);
      return { items, nextCursor: from + this.pageSize < all.length ? String(from + this.pageSize) : null };
    });
  }
  detail(id: string) {
    return this.go('detail', [id], () => {
      const a = this.items.find((x) => x.id === id)!;
      const d: AppointmentDetail = {
        ...a,
        reschedulePolicy: { minNoticeMinutes: 60, text: 'Reschedule up to 1 h before.' },
        audit: [
          {
            id: 'e1',
            seq: 1,
            appointmentId: id,
            action: 'created',
            outcome: 'applied',
            actor: { id: 'desk', type: 'staff', name: 'front desk', role: 'staff' },
            channel: 'cli',
            timestamp: new Date(T0).toISOString(),
            requestId: null,
            idempotencyKey: null,
            errorCode: null,
            reason: null,
            previousSlot: null,
            newSlot: { start: a.start, end: a.end },
            feeCents: null,
            prevHash: '0',
            hash: '1',
          },
          ...this.extraAudit,
        ],
        notifications: [
          {
            id: 'n1',
            channel: 'email',
            recipient: 'ada@example.com',
            template: 'confirmed',
            status: 'sent',
            attempts: 1,
            lastError: null,
            updatedAt: new Date(T0).toISOString(),
          },
        ],
      };
      return d;
    });
  }
  /** active appointments (other than `except`) whose time overlaps the slot */
  private blocks(t: { start: string; end: string }, except?: string) {
    return this.items.some(
      (a) =>
        a.id !== except &&
        ['upcoming', 'confirmed', 'rescheduled'].includes(a.status) &&
        Date.parse(a.start) < Date.parse(t.end) &&
        Date.parse(a.end) > Date.parse(t.start),
    );
  }
  /** like the server: an appointment blocks its own time in availability */
  availability(_p: string, _s: string, date: string) {
    return this.go('availability', [date], () => {
      const d = dayOfSlots(date, this.taken);
      return {
        ...d,
        timeslots: d.timeslots.map((t) => (this.blocks(t) ? { ...t, status: 'booked' as const } : t)),
      };
    });
  }
  /** the slots the server would accept for `id` on a day: its own time does not block it */
  private freeFor(id: string, date: string) {
    const a = this.items.find((x) => x.id === id)!;
    return dayOfSlots(date, this.taken)
      .timeslots.filter((t) => t.status === 'available' && !this.blocks(t, id))
      .map((t) => ({
        timeslotId: t.id,
        start: t.start,
        end: t.end,
        deltaMinutes: Math.round((Date.parse(t.start) - Date.parse(a.start)) / 60_000),
        priceDeltaCents: 0,
      }));
  }
  hold(body: { timeslotId: string }) {
    return this.go('hold', [body], () => {
      const day = body.timeslotId.slice(3, 13);
      const slot = dayOfSlots(day).timeslots.find((t) => t.id === body.timeslotId)!;
      return {
        reservationToken: `r-${body.timeslotId}`,
        expiresAt: new Date(this.clock.now() + this.holdTtlMs).toISOString(),
        timeslotId: body.timeslotId,
        start: slot.start,
        end: slot.end,
      };
    });
  }
  release(token: string) {
    return this.go('release', [token], () => undefined);
  }
  reschedule(id: string, token: string, version: number, key: string) {
    return this.go('reschedule', [id, token, version, key], () => {
      const day = token.slice(5, 15);
      const slot = dayOfSlots(day).timeslots.find((t) => `r-${t.id}` === token)!;
      const i = this.items.findIndex((x) => x.id === id);
      const next = {
        ...this.items[i]!,
        start: slot.start,
        end: slot.end,
        status: 'rescheduled' as const,
        version: version + 1,
      };
      this.items[i] = next;
      return next;
    });
  }
  cancel(id: string, key: string, version?: number) {
    return this.go('cancel', [id, key, version], () => {
      const i = this.items.findIndex((x) => x.id === id);
      const next = { ...this.items[i]!, status: 'cancelled' as const, feeCents: 2500, refundCents: 9500 };
      this.items[i] = next;
      return { appointment: next, feeCents: 2500, refundCents: 9500 };
    });
  }
  quote(id: string) {
    return this.go('quote', [id], () => {
      const a = this.items.find((x) => x.id === id)!;
      const q: CancellationQuote = {
        appointmentId: id,
        priceCents: a.priceCents,
        feeCents: 2500,
        refundCents: a.priceCents - 2500,
        currency: a.currency,
        refundableUntil: a.cancellationPolicy.refundableUntil,
        policy: a.cancellationPolicy.text,
        asOf: new Date(this.clock.now()).toISOString(),
      };
      return q;
    });
  }
  /** next-available answers, set by a test (the server's "first free slot after now") */
  nextAlternatives: Alternative[] = [];
  alternatives(id: string, kind: string, date?: string) {
    return this.go('alternatives', [id, kind, date], () => ({
      timezone: ZONE,
      items: (kind === 'date' && date
        ? this.freeFor(id, date)
        : kind === 'next'
          ? this.nextAlternatives
          : []) as Alternative[],
    }));
  }
  staffAction(id: string, action: 'confirm' | 'complete' | 'no-show', key: string) {
    return this.go('staffAction', [id, action, key], () => {
      const i = this.items.findIndex((x) => x.id === id);
      const status = action === 'confirm' ? 'confirmed' : action === 'complete' ? 'completed' : 'no_show';
      const next = {
        ...this.items[i]!,
        status: status as Appointment['status'],
        version: this.items[i]!.version + 1,
      };
      this.items[i] = next;
      return next;
    });
  }
  clearAttention(id: string) {
    return this.go('clearAttention', [id], () => {
      const i = this.items.findIndex((x) => x.id === id);
      const next = {
        ...this.items[i]!,
        needsAttention: false,
        attentionReason: null,
        version: this.items[i]!.version + 1,
      };
      this.items[i] = next;
      return next;
    });
  }
  /** audit entries added to every detail after the `created` one */
  extraAudit: AppointmentDetail['audit'] = [];
}

export function setup(
  opts: { items?: Appointment[]; store?: TuiStore; size?: { columns: number; rows: number } } = {},
) {
  const clock = new ManualTuiClock(T0);
  const data = new FakeData(opts.items ?? [appt(), appt(), appt()], clock);
  const store = opts.store ?? memoryStore();
  return { clock, data, store, size: opts.size ?? { columns: 100, rows: 30 } };
}

export function AppUnderTest(p: ReturnType<typeof setup> & { pollMs?: number }) {
  return <App data={p.data} store={p.store} clock={p.clock} size={p.size} pollMs={p.pollMs ?? 3_600_000} />;
}

/** Polls `frame()` until it contains every string (or matches); throws with the frame. */
export async function until(
  frame: () => string | undefined,
  ...want: (string | RegExp | ((f: string) => boolean))[]
): Promise<string> {
  const t0 = Date.now();
  let f = '';
  while (Date.now() - t0 < 3000) {
    f = frame() ?? '';
    if (
      want.every((w) => (typeof w === 'string' ? f.includes(w) : typeof w === 'function' ? w(f) : w.test(f)))
    ) {
      // let effects attach their input handlers before the test types the next key
      await new Promise((r) => setTimeout(r, 30));
      return f;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`frame never showed ${want.map(String).join(' + ')}:\n${f}`);
}

export const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** A lone Esc: Ink waits briefly for the rest of an escape sequence before reporting it. */
export async function pressEsc(stdin: { write(s: string): void }) {
  stdin.write('\x1b');
  await new Promise((r) => setTimeout(r, 150));
}
