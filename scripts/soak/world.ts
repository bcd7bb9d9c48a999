import type { ApiResult, SeededCatalog } from '../bench/common.js';
import type { Ledger } from './ledger.js';
import type { Supervised } from './server.js';

/** What a simulated client shares with the run, what it remembers, and the small helpers it uses. */

export interface World {
  server: Supervised;
  ledger: Ledger;
  cat: SeededCatalog;
  /** stop starting new actions */
  deadline: number;
  /** stop retrying unanswered keyed requests */
  hardDeadline: number;
  /** share of answered keyed requests re-sent to check the replay */
  replayShare: number;
  /** pause between actions, ms */
  think: [number, number];
}

export interface Mine {
  id: string;
  version: number;
  start: string;
  providerId: string;
  serviceId: string;
  status: string;
}
export interface Slot {
  providerId: string;
  serviceId: string;
  timeslotId: string;
  start: string;
}
export type Intent =
  | { kind: 'cancel'; appt: Mine; key: string; ifMatch: number }
  | { kind: 'reschedule'; appt: Mine; key: string; ifMatch: number; slot: Slot };

export const ACTIVE = new Set(['upcoming', 'confirmed', 'rescheduled']);
export const rand = (a: number, b: number) => a + Math.random() * (b - a);
export const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];
export const DAY = 86_400_000;

/** Answers that are stored with the key and so must replay identically. */
export function replayable(r: ApiResult): boolean {
  if (r.status >= 200 && r.status < 300) return true;
  const code = r.json?.code;
  return (
    r.status >= 400 &&
    r.status < 500 &&
    code !== 'idempotency_in_flight' &&
    code !== 'rate_limited' &&
    r.status !== 401
  );
}
