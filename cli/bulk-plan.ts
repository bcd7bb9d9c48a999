import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './exit-codes.js';

/**
 * A bulk plan: rows of (appointmentId, action, to, reason) from CSV or JSONL, or built from
 * a filter. Its hash names every idempotency key the run uses, so re-running the same plan
 * after a crash finds its own earlier effects instead of repeating them.
 */

export type BulkAction = 'cancel' | 'reschedule';

export interface PlanItem {
  appointmentId: string;
  action: BulkAction;
  /** reschedule target: a timeslot id, an ISO time or `next-available` */
  to?: string | undefined;
  reason?: string | undefined;
  line: number;
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      cell = '';
      if (row.some((c) => c.trim() !== '')) rows.push(row);
      row = [];
    } else cell += ch;
  }
  if (quoted) throw new CliError('plan: unterminated quote in CSV', EXIT.usage);
  row.push(cell);
  if (row.some((c) => c.trim() !== '')) rows.push(row);
  return rows;
}

const COLUMNS = ['appointmentId', 'action', 'to', 'reason'];

function checkItem(raw: Record<string, unknown>, line: number, want: BulkAction): PlanItem {
  const id = typeof raw.appointmentId === 'string' ? raw.appointmentId.trim() : '';
  if (!id) throw new CliError(`plan line ${line}: appointmentId is missing`, EXIT.usage);
  const action = (typeof raw.action === 'string' && raw.action.trim()) || want;
  if (action !== want)
    throw new CliError(
      `plan line ${line}: action ${JSON.stringify(action)} in a bulk ${want} plan`,
      EXIT.usage,
    );
  const to = typeof raw.to === 'string' && raw.to.trim() ? raw.to.trim() : undefined;
  if (want === 'reschedule') {
    if (!to)
      throw new CliError(
        `plan line ${line}: reschedule needs "to" (timeslot id, ISO time or next-available)`,
        EXIT.usage,
      );
    if (to !== 'next-available' && !to.startsWith('ts_') && Number.isNaN(Date.parse(to)))
      throw new CliError(
        `plan line ${line}: "to" must be a timeslot id, an ISO time or next-available`,
        EXIT.usage,
      );
  }
  const reason = typeof raw.reason === 'string' && raw.reason.trim() ? raw.reason.trim() : undefined;
  return { appointmentId: id, action: want, to, reason, line };
}

export function parsePlan(text: string, file: string, want: BulkAction): PlanItem[] {
  const items: PlanItem[] = [];
  if (/\.jsonl$|\.ndjson$/i.test(file) || /^\s*\{/.test(text)) {
    text.split(/\r?\n/).forEach((l, i) => {
      if (!l.trim()) return;
      let o: unknown;
      try {
        o = JSON.parse(l);
      } catch {
        throw new CliError(`plan line ${i + 1}: not JSON`, EXIT.usage);
      }
      if (!o || typeof o !== 'object') throw new CliError(`plan line ${i + 1}: not an object`, EXIT.usage);
      items.push(checkItem(o as Record<string, unknown>, i + 1, want));
    });
  } else {
    const rows = parseCsv(text);
    if (!rows.length) throw new CliError('plan is empty', EXIT.usage);
    const header = rows[0].map((h) => h.trim());
    if (!header.includes('appointmentId'))
      throw new CliError(`plan CSV needs a header row with ${COLUMNS.join(',')}`, EXIT.usage);
    rows.slice(1).forEach((r, i) => {
      items.push(checkItem(Object.fromEntries(header.map((h, j) => [h, r[j] ?? ''])), i + 2, want));
    });
  }
  if (!items.length) throw new CliError('plan has no items', EXIT.usage);
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.appointmentId))
      throw new CliError(`plan line ${it.line}: appointment ${it.appointmentId} appears twice`, EXIT.usage);
    seen.add(it.appointmentId);
  }
  return items;
}

export function readPlan(file: string, want: BulkAction): PlanItem[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read plan ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, EXIT.usage);
  }
  return parsePlan(text, file, want);
}

/** A stable hash of what the plan asks for (not of its formatting). */
export function planHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

export function itemsHash(action: BulkAction, items: PlanItem[]): string {
  return planHash([action, items.map((i) => [i.appointmentId, i.to ?? null, i.reason ?? null])]);
}

/** The idempotency key prefix of one item: the plan's hash and the appointment. */
export function itemKey(hash: string, appointmentId: string): string {
  return `bulk:${hash}:${appointmentId}`;
}
