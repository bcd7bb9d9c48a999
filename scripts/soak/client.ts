import { randomUUID } from 'node:crypto';
import { type ApiResult, api, sleep } from '../bench/common.js';
import type { AckKind } from './ledger.js';
import {
  ACTIVE,
  DAY,
  type Intent,
  type Mine,
  pick,
  rand,
  replayable,
  type Slot,
  type World,
} from './world.js';

export type { World } from './world.js';

/**
 * One simulated client. Users list, open, look at availability, hold, release, book,
 * reschedule and cancel their own appointments; some go offline and replay queued intents
 * with their original keys and If-Match; staff clients run the day view and small bulk runs.
 * Every keyed request that got no answer (the server was killed) is retried with the same
 * key and body until it gets one; a share of answered ones are re-sent on purpose, and the
 * replay must be byte-for-byte the first answer.
 */

export class Client {
  private mine = new Map<string, Mine>();
  private slots: Slot[] = [];
  private offline: Intent[] = [];

  constructor(
    readonly w: World,
    readonly name: string,
    readonly token: string,
    readonly userId: string | null,
  ) {}

  get staff(): boolean {
    return this.userId === null;
  }

  /** One request, timed and tallied under `op`; null when there was no answer. */
  private async call(
    op: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResult | null> {
    const { ledger, server } = this.w;
    const t0 = performance.now();
    try {
      const r = await api(server.url, this.token, method, path, body, headers, 10_000);
      ledger.op(op, performance.now() - t0);
      if (r.status >= 400) ledger.error(`${op} ${r.status} ${r.json?.code ?? ''}`.trim());
      return r;
    } catch (err) {
      ledger.op(op, performance.now() - t0);
      const timedOut = (err as Error)?.name === 'TimeoutError';
      ledger.error(`${op} ${timedOut ? 'no answer in 10 s' : 'no answer (connection refused or reset)'}`);
      await sleep(rand(200, 800));
      return null;
    }
  }

  /**
   * A keyed mutation: retried with the same key and body until it gets an answer that is
   * not "in flight"; then, for a share of them, re-sent once more to check the replay.
   */
  private async keyed(
    op: string,
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<ApiResult | null> {
    let first: ApiResult | null = null;
    let tries = 0;
    while (Date.now() < this.w.hardDeadline) {
      tries++;
      const r = await this.call(op, method, path, body, headers);
      if (
        r &&
        !(r.status === 409 && r.json?.code === 'idempotency_in_flight') &&
        r.status < 500 &&
        r.status !== 429
      ) {
        first = r;
        break;
      }
      await sleep(Math.min(5_000, 250 * tries));
    }
    if (!first) {
      this.w.ledger.unresolved++;
      return null;
    }
    if (replayable(first) && (tries > 1 || Math.random() < this.w.replayShare)) {
      const again = await this.call(`${op} (replay)`, method, path, body, headers);
      if (again && again.status !== 429) {
        if (again.status !== first.status || again.text !== first.text)
          this.w.ledger.violation(
            'replay_mismatch',
            `${method} ${path} key ${headers['idempotency-key']}: first ${first.status} ${first.text.slice(0, 120)} / replay ${again.status} ${again.text.slice(0, 120)}`,
          );
        else this.w.ledger.replaysChecked++;
      }
    }
    return first;
  }

  private ack(kind: AckKind, key: string, appt: any): void {
    if (!appt?.id) return;
    this.w.ledger.ack({
      kind,
      key,
      appointmentId: appt.id,
      version: appt.version,
      status: appt.status,
      start: appt.start,
      end: appt.end,
      at: Date.now(),
    });
    this.remember(appt);
  }

  private remember(a: any): void {
    if (this.staff) return;
    const prev = this.mine.get(a.id);
    if (prev && prev.version > a.version) return;
    if (!ACTIVE.has(a.status)) {
      this.mine.delete(a.id);
      return;
    }
    this.mine.set(a.id, {
      id: a.id,
      version: a.version,
      start: a.start,
      providerId: a.providerId,
      serviceId: a.serviceId,
      status: a.status,
    });
  }

  /** Appointments that can still be moved or cancelled well before they start. */
  private movable(): Mine[] {
    const soon = Date.now() + 2 * 3_600_000;
    return [...this.mine.values()].filter((m) => ACTIVE.has(m.status) && Date.parse(m.start) > soon);
  }

  private async availability(providerId?: string, serviceId?: string): Promise<Slot[]> {
    const p = providerId
      ? this.w.cat.providers.find((x) => x.id === providerId)!
      : pick(this.w.cat.providers)!;
    const svc = serviceId ?? (Math.random() < 0.7 ? p.serviceId : (p.longServiceId ?? p.serviceId));
    const date = new Date(Date.now() + Math.floor(rand(1, 30)) * DAY).toISOString().slice(0, 10);
    const r = await this.call(
      'availability',
      'GET',
      `/providers/${p.id}/availability?serviceId=${svc}&date=${date}`,
    );
    if (r?.status !== 200) return [];
    const free = (r.json.timeslots as { id: string; start: string; status: string }[])
      .filter((t) => t.status === 'available')
      .map((t) => ({ providerId: p.id, serviceId: svc, timeslotId: t.id, start: t.start }));
    this.slots = free;
    return free;
  }

  private async hold(slot: Slot, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
    const body = {
      providerId: slot.providerId,
      serviceId: slot.serviceId,
      timeslotId: slot.timeslotId,
      ...extra,
    };
    if (Math.random() < 0.3) {
      const key = `hold-${randomUUID()}`;
      return this.keyed('hold', 'POST', '/reservations', body, { ...headers, 'idempotency-key': key });
    }
    return this.call('hold', 'POST', '/reservations', body, headers);
  }

  async listUpcoming(): Promise<void> {
    if (!this.userId) return;
    const r = await this.call(
      'list upcoming',
      'GET',
      `/users/${this.userId}/appointments?filter=upcoming&limit=20`,
    );
    if (r?.status === 200) {
      const seen = new Set<string>();
      for (const a of r.json.items) {
        seen.add(a.id);
        this.remember(a);
      }
      if (!r.json.nextCursor) for (const id of [...this.mine.keys()]) if (!seen.has(id)) this.mine.delete(id);
    }
  }

  async listHistory(): Promise<void> {
    if (!this.userId) return;
    const r = await this.call(
      'list history',
      'GET',
      `/users/${this.userId}/appointments?filter=history&limit=20`,
    );
    if (r?.status === 200 && r.json.nextCursor && Math.random() < 0.3)
      await this.call(
        'list history',
        'GET',
        `/users/${this.userId}/appointments?filter=history&limit=20&cursor=${encodeURIComponent(r.json.nextCursor)}`,
      );
  }

  async details(): Promise<void> {
    const m = pick([...this.mine.values()]);
    if (!m) return this.listUpcoming();
    const r = await this.call('details', 'GET', `/appointments/${m.id}`);
    if (r?.status === 200) this.remember(r.json);
  }

  async book(channel = 'api', forUser?: string): Promise<void> {
    const slot = pick(await this.availability());
    if (!slot) return;
    const h = { 'appt-channel': channel };
    const held = await this.hold(slot, forUser ? { userId: forUser } : {}, h);
    if (held?.status !== 201) return;
    const key = `book-${randomUUID()}`;
    const r = await this.keyed(
      'book',
      'POST',
      '/bookings',
      { reservationToken: held.json.reservationToken, userId: forUser ?? this.userId },
      { ...h, 'idempotency-key': key },
    );
    if (r?.status === 201) this.ack('book', key, r.json);
  }

  async holdAndRelease(): Promise<void> {
    const slot = pick(await this.availability());
    if (!slot) return;
    const held = await this.hold(slot);
    if (held?.status !== 201) return;
    await sleep(rand(50, 500));
    await this.call('release', 'DELETE', `/reservations/${encodeURIComponent(held.json.reservationToken)}`);
  }

  private async doReschedule(m: Mine, slot: Slot, key: string, ifMatch: number, op: string): Promise<void> {
    const held = await this.hold(slot, { appointmentId: m.id });
    if (held && held.json?.code === 'appointment_not_active') await this.refresh(m.id);
    if (held?.status !== 201) return;
    const r = await this.keyed(
      op,
      'POST',
      `/appointments/${m.id}/reschedule`,
      { reservationToken: held.json.reservationToken, reason: 'soak: moving' },
      { 'idempotency-key': key, 'if-match': `"${ifMatch}"` },
    );
    if (r?.status === 200) this.ack('reschedule', key, r.json);
    else if (r && (r.status === 412 || r.status === 409)) await this.refresh(m.id);
  }

  private async doCancel(m: Mine, key: string, ifMatch: number, op: string): Promise<void> {
    const r = await this.keyed(
      op,
      'POST',
      `/appointments/${m.id}/cancel`,
      { reason: 'soak: cancelling' },
      { 'idempotency-key': key, 'if-match': `"${ifMatch}"` },
    );
    if (r?.status === 200) this.ack('cancel', key, r.json.appointment);
    else if (r && (r.status === 412 || r.status === 409)) await this.refresh(m.id);
  }

  /** After a 412 or a refusal the client's copy is stale: read the appointment again. */
  private async refresh(id: string): Promise<void> {
    if (this.staff) return;
    const r = await this.call('details', 'GET', `/appointments/${id}`);
    if (r?.status === 200) this.remember(r.json);
    else if (r?.status === 404) this.mine.delete(id);
  }

  async reschedule(): Promise<void> {
    const m = pick(this.movable());
    if (!m) return this.book();
    const slot = pick(await this.availability(m.providerId, m.serviceId));
    if (!slot) return;
    await this.doReschedule(m, slot, `resched-${randomUUID()}`, m.version, 'reschedule');
  }

  async cancel(): Promise<void> {
    const m = pick(this.movable());
    if (!m) return;
    await this.doCancel(m, `cancel-${randomUUID()}`, m.version, 'cancel');
  }

  /**
   * Offline: intents are queued with their keys and the version the client knew, the client
   * pauses, then replays them in order. Two intents on one appointment make the second one
   * stale on purpose: it must come back 412, never clobber the first.
   */
  async goOffline(): Promise<void> {
    const m = pick(this.movable());
    if (!m) return;
    const slot = pick(this.slots.filter((s) => s.providerId === m.providerId && s.serviceId === m.serviceId));
    if (slot)
      this.offline.push({
        kind: 'reschedule',
        appt: m,
        key: `offline-${randomUUID()}`,
        ifMatch: m.version,
        slot,
      });
    if (!slot || Math.random() < 0.5)
      this.offline.push({ kind: 'cancel', appt: m, key: `offline-${randomUUID()}`, ifMatch: m.version });
    await sleep(rand(2_000, 6_000));
    const queue = this.offline.splice(0);
    for (const it of queue) {
      this.w.ledger.offlineReplays++;
      if (it.kind === 'reschedule')
        await this.doReschedule(it.appt, it.slot, it.key, it.ifMatch, 'offline reschedule');
      else await this.doCancel(it.appt, it.key, it.ifMatch, 'offline cancel');
    }
  }

  async dayView(): Promise<void> {
    const p = pick(this.w.cat.providers)!;
    const date = new Date(Date.now() + Math.floor(rand(1, 30)) * DAY).toISOString().slice(0, 10);
    await this.call('day view', 'GET', `/appointments?providerId=${p.id}&date=${date}`);
  }

  /** A small bulk run: staff book a few appointments in a row, on the bulk channel. */
  async bulk(): Promise<void> {
    const n = Math.floor(rand(3, 6));
    for (let i = 0; i < n && Date.now() < this.w.deadline; i++)
      await this.book('bulk', pick(this.w.cat.users)!.id);
  }

  /** Staff cancel something on the day view: users' known versions go stale. */
  async staffCancel(): Promise<void> {
    const p = pick(this.w.cat.providers)!;
    const date = new Date(Date.now() + Math.floor(rand(1, 30)) * DAY).toISOString().slice(0, 10);
    const r = await this.call('day view', 'GET', `/appointments?providerId=${p.id}&date=${date}`);
    const a = pick(((r?.json?.items ?? []) as any[]).filter((x) => ACTIVE.has(x.status)));
    if (!a) return;
    await this.doCancel(a, `staff-cancel-${randomUUID()}`, a.version, 'staff cancel');
  }

  private async step(): Promise<void> {
    const x = Math.random();
    if (this.staff) {
      if (x < 0.5) return this.dayView();
      if (x < 0.8) return this.bulk();
      return this.staffCancel();
    }
    // keep a handful of active appointments per client so the calendar does not fill up
    if (this.mine.size > 4 && x < 0.3) return this.cancel();
    if (x < 0.14) return this.listUpcoming();
    if (x < 0.22) return this.listHistory();
    if (x < 0.32) return this.details();
    if (x < 0.46) {
      await this.availability();
      return;
    }
    if (x < 0.64) return this.book();
    if (x < 0.72) return this.holdAndRelease();
    if (x < 0.85) return this.reschedule();
    if (x < 0.95) return this.cancel();
    return this.goOffline();
  }

  async run(): Promise<void> {
    await sleep(rand(0, this.w.think[1]));
    while (Date.now() < this.w.deadline) {
      await this.step();
      await sleep(rand(this.w.think[0], this.w.think[1]));
    }
  }
}
