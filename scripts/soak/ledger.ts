import { fmt, percentile, table } from '../bench/common.js';

/**
 * What the simulated clients saw: every operation's latency and outcome, every change the
 * server acknowledged (a 2xx to book / reschedule / cancel), and every violation found on
 * the client side (a replay that differed from the first answer, a second effect).
 */

export type AckKind = 'book' | 'reschedule' | 'cancel';
export interface Ack {
  kind: AckKind;
  appointmentId: string;
  key: string;
  version: number;
  status: string;
  start: string;
  end: string;
  at: number;
}

export interface Violation {
  kind: string;
  detail: string;
}

export class Ledger {
  readonly latencies = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  readonly acks: Ack[] = [];
  readonly violations: Violation[] = [];
  readonly notes: string[] = [];
  replaysChecked = 0;
  offlineReplays = 0;
  unresolved = 0;
  kills = 0;
  restarts = 0;
  checks = 0;
  realtimeEvents = 0;
  realtimeSubscribers = 0;
  lastRealtimeEventAt = 0;
  /** restarts after which the subscribers got events again (pusher-js reconnected) */
  realtimeResumed = 0;

  op(kind: string, ms: number): void {
    let a = this.latencies.get(kind);
    if (!a) this.latencies.set(kind, (a = []));
    a.push(ms);
  }

  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  ack(a: Ack): void {
    this.acks.push(a);
  }

  violation(kind: string, detail: string): void {
    this.violations.push({ kind, detail });
  }

  /** answers with a 5xx status: none expected, even across kills */
  serverErrors(): number {
    let n = 0;
    for (const [k, v] of this.errors) if (/ 5\d\d( |$)/.test(k)) n += v;
    return n;
  }

  totalOps(): number {
    let n = 0;
    for (const a of this.latencies.values()) n += a.length;
    return n;
  }

  summary(): string {
    const ops = [...this.latencies.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    const out: string[] = [];
    out.push(
      table(
        ['operation', 'count', 'p50 ms', 'p99 ms'],
        ops.map(([k, v]) => {
          const s = [...v].sort((x, y) => x - y);
          return [k, fmt(v.length), fmt(percentile(s, 50), 1), fmt(percentile(s, 99), 1)];
        }),
      ),
    );
    out.push('');
    const errs = [...this.errors.entries()].sort((a, b) => b[1] - a[1]);
    out.push(
      errs.length
        ? table(
            ['error (operation status code)', 'count'],
            errs.map(([k, v]) => [k, fmt(v)]),
          )
        : 'no errors',
    );
    out.push('');
    const acks = { book: 0, reschedule: 0, cancel: 0 };
    for (const a of this.acks) acks[a.kind]++;
    out.push(
      table(
        ['run', 'value'],
        [
          ['operations', fmt(this.totalOps())],
          ['acknowledged bookings', fmt(acks.book)],
          ['acknowledged reschedules', fmt(acks.reschedule)],
          ['acknowledged cancellations', fmt(acks.cancel)],
          ['idempotent replays checked identical', fmt(this.replaysChecked)],
          ['offline intents replayed', fmt(this.offlineReplays)],
          ['requests left without an answer', fmt(this.unresolved)],
          ['5xx answers', fmt(this.serverErrors())],
          [
            'realtime subscribers / events received',
            `${this.realtimeSubscribers} / ${fmt(this.realtimeEvents)}`,
          ],
          [
            'restarts after which subscribers got events again',
            this.realtimeSubscribers ? `${this.realtimeResumed} of ${this.restarts}` : 'n/a',
          ],
          ['invariant checks run', fmt(this.checks)],
          ['server kills survived (SIGKILL + restart)', `${this.restarts} of ${this.kills}`],
        ],
      ),
    );
    for (const n of this.notes) out.push(`note: ${n}`);
    if (this.violations.length) {
      out.push('');
      const shown = this.violations.slice(0, 30);
      for (const v of shown) out.push(`VIOLATION ${v.kind}: ${v.detail}`);
      if (this.violations.length > shown.length)
        out.push(`… and ${this.violations.length - shown.length} more`);
    }
    out.push('');
    out.push(`${this.violations.length} invariant violations`);
    return out.join('\n');
  }
}
