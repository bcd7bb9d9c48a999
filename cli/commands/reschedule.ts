import type { Command } from 'commander';
import type { AppointmentDetail, Reservation } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export interface RescheduleFlags {
  to?: string;
  tomorrow?: boolean;
  nextAvailable?: boolean;
  date?: string;
  reservation?: string;
  holdOnly?: boolean;
  reason?: string;
  yes?: boolean;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdReschedule(makeFactory(io, program)));
}

/** `appt reschedule <id>`: parsing only; the run is runReschedule (or a test's runF). */
export function newCmdReschedule(
  f: Factory,
  runF: (id: string, o: RescheduleFlags) => Promise<void> = (id, o) => runReschedule(f, id, o),
): Command {
  return f
    .createCommand('reschedule')
    .description(
      'Move an appointment: hold the new slot, show the countdown, confirm (the id stays the same)',
    )
    .argument('<id>', 'appointment id')
    .option('--to <slot>', 'a timeslot id (ts_…) or an ISO time, e.g. 2030-01-08T15:00:00Z')
    .option('--tomorrow', 'pick from the same time tomorrow and nearby')
    .option('--next-available', 'the next free slot')
    .option('--date <day>', "pick from a day: today | tomorrow | YYYY-MM-DD (provider's zone)")
    .option('--hold-only', 'hold the slot and print the reservation, do not confirm')
    .option('--reservation <token>', 'confirm a hold taken earlier with --hold-only')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('-y, --yes', 'do not ask; with --tomorrow/--date takes the first choice')
    .option(
      '--json',
      'print {"appointment":Appointment,"previous":{start,end},"outcome":"applied"|"already"}; --hold-only: {"reservation":{reservationToken,expiresAt,timeslotId,start,end}}; offline: {"queued":true,…}',
    )
    .addHelpText(
      'after',
      `
Exit 3 when the slot is taken (alternatives are listed) or the hold expired before
confirming; exit 2 when asked to choose or confirm without a terminal and without --yes.

Examples:
  appt reschedule 0190a… --next-available --yes
  appt reschedule 0190a… --to 2030-01-08T15:00:00Z --reason "customer asked"
  appt reschedule 0190a… --date 2030-01-09          # pick a slot, then confirm
  appt reschedule 0190a… --to ts_… --hold-only --json  # then: --reservation <token> --yes`,
    )
    .action(async (id: string, o: RescheduleFlags) => runF(id, o));
}

export async function runReschedule(f: Factory, id: string, o: RescheduleFlags): Promise<void> {
  const { io } = f;
  const chosen = [
    o.to !== undefined,
    o.tomorrow,
    o.nextAvailable,
    o.date !== undefined,
    o.reservation !== undefined,
  ].filter(Boolean).length;
  if (chosen !== 1)
    throw new CliError(
      'give exactly one of --to, --tomorrow, --next-available, --date, --reservation',
      EXIT.usage,
    );
  if (o.holdOnly && o.reservation)
    throw new CliError('--hold-only and --reservation exclude each other', EXIT.usage);
  if (o.to !== undefined && !o.to.startsWith('ts_') && Number.isNaN(Date.parse(o.to)))
    throw new CliError(
      `--to must be a timeslot id (ts_…) or an ISO time (got ${JSON.stringify(o.to)})`,
      EXIT.usage,
    );
  if (o.date) (await import('../dates.js')).checkDay(o.date);
  const { toCliError, isOffline } = await import('../runtime.js');
  const { newKey, queueIntent, needConfirmation, confirm } = await import('../intent.js');
  const { snapshotKeys } = await import('../config.js');
  const { when, money } = await import('../format.js');
  const json = Boolean(o.json);
  await using(f, async () => {
    const rt = await f.runtime({ json });
    const picking = o.tomorrow || o.date !== undefined;
    if (!o.holdOnly) needConfirmation(rt, o.yes);
    else if (picking && !o.yes && !io.stdinTTY) needConfirmation(rt, false);
    const key = newKey('reschedule');
    let detail: AppointmentDetail;
    try {
      detail = (await rt.client.appointment(id)).data;
      rt.store.saveSnapshot(snapshotKeys.appointment(id), rt.session.server, detail);
    } catch (e) {
      if (isOffline(e)) {
        const snap = rt.store.snapshot<AppointmentDetail>(snapshotKeys.appointment(id));
        if (!snap || !o.to?.startsWith('ts_'))
          throw new CliError(
            'offline — a reschedule can be queued only with --to <timeslot id> for an appointment seen before',
            EXIT.failed,
          );
        return queueIntent(rt, {
          kind: 'reschedule',
          appointmentId: id,
          idempotencyKey: key,
          version: snap.data.version,
          reschedule: {
            providerId: snap.data.providerId,
            serviceId: snap.data.serviceId,
            timeslotId: o.to,
            reason: o.reason,
          },
          summary: `reschedule ${id} to ${o.to}`,
        });
      }
      throw toCliError(e, io, json);
    }
    const z = detail.timezone;
    const target = {
      providerId: detail.providerId,
      serviceId: detail.serviceId,
      appointmentId: id,
      userId: detail.userId,
    };
    let hold: Reservation | undefined;
    let timeslotId: string | undefined;
    try {
      if (o.reservation) {
        hold = { reservationToken: o.reservation, expiresAt: '', timeslotId: '', start: '', end: '' };
      } else if (o.to?.startsWith('ts_')) timeslotId = o.to;
      else if (o.to) {
        const at = Date.parse(o.to);
        const day = new Intl.DateTimeFormat('en-CA', {
          timeZone: z,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        }).format(at);
        const av = await rt.client.availability(detail.providerId, detail.serviceId, day);
        const slot = av.timeslots.find((s) => Date.parse(s.start) === at);
        if (!slot)
          throw new CliError(
            `no ${detail.serviceTitle} slot starts at ${o.to} (${when(new Date(at).toISOString(), z)} ${z})`,
            EXIT.failed,
          );
        timeslotId = slot.id;
      } else {
        const kind = o.nextAvailable ? 'next' : o.tomorrow ? 'tomorrow' : 'date';
        const all = await rt.client.alternatives(id, kind, o.date, 8);
        const { dayIn } = await import('../dates.js');
        const day =
          kind === 'date' ? dayIn(String(o.date), z) : kind === 'tomorrow' ? dayIn('tomorrow', z) : '';
        // "tomorrow" means that day: the server's nearby slots on other days are offered, not taken
        const onDay = (iso: string) => !day || when(iso, z).slice(4, 14) === day;
        const alts = { ...all, items: all.items.filter((a) => onDay(a.start)) };
        if (!alts.items.length) {
          // name the day, and offer what is free instead (the next slots ahead)
          const elsewhere = all.items.filter((a) => !onDay(a.start)).slice(0, 3);
          const next =
            kind === 'next'
              ? []
              : elsewhere.length
                ? elsewhere
                : (await rt.client.alternatives(id, 'next', undefined, 3)).items;
          const { formatAlternatives } = await import('../runtime.js');
          if (next.length && !json) io.err(formatAlternatives(next, z));
          throw new CliError(
            kind === 'next'
              ? 'no free slot ahead'
              : `no free ${detail.serviceTitle} slot on ${when(`${day}T12:00:00`, z).slice(0, 14)} (${z})${next.length ? '; the next free ones are listed above (--to <slot>)' : ''}`,
            EXIT.failed,
          ).withJson({
            error: { code: 'no_free_slot', status: 0, detail: `no free slot on ${day}`, alternatives: next },
          });
        }
        if (o.nextAvailable || o.yes || alts.items.length === 1) timeslotId = alts.items[0].timeslotId;
        else {
          io.err(
            alts.items
              .map(
                (a, i) =>
                  `  ${i + 1}) ${when(a.start, z)} ${z}${a.priceDeltaCents ? ` ${money(a.priceDeltaCents, detail.currency)}` : ''}\n`,
              )
              .join(''),
          );
          const n = Number((await io.prompt(`pick 1-${alts.items.length}: `)).trim());
          if (!Number.isInteger(n) || n < 1 || n > alts.items.length) {
            io.err('no slot picked: nothing changed\n');
            if (json) io.out(`${JSON.stringify({ appointment: detail, outcome: 'kept' })}\n`);
            return;
          }
          timeslotId = alts.items[n - 1].timeslotId;
        }
      }
      if (!hold && timeslotId) hold = await rt.client.hold({ ...target, timeslotId }, `${key}:hold`);
    } catch (e) {
      if (isOffline(e) && timeslotId)
        return queueIntent(rt, {
          kind: 'reschedule',
          appointmentId: id,
          idempotencyKey: key,
          version: detail.version,
          reschedule: {
            providerId: detail.providerId,
            serviceId: detail.serviceId,
            timeslotId,
            reason: o.reason,
          },
          summary: `reschedule ${id}`,
        });
      throw toCliError(e, io, json, z);
    }
    if (!hold) throw new CliError('no slot chosen', EXIT.failed);
    if (o.holdOnly) {
      if (json) io.out(`${JSON.stringify({ reservation: hold })}\n`);
      else io.out(`held ${when(hold.start, z)} ${z} until ${hold.expiresAt}: ${hold.reservationToken}\n`);
      return;
    }
    if (hold.start) io.err(`new time: ${when(hold.start, z)} ${z}, was ${when(detail.start, z)}\n`);
    if (!o.yes) {
      const stop = countdown(io, hold.expiresAt, f.clock);
      let ok = false;
      try {
        ok = await confirm(io, 'Confirm new time?');
      } finally {
        stop();
      }
      if (!ok) {
        await rt.client.release(hold.reservationToken).catch(() => undefined);
        // declining is an answer, not a failure
        io.err('not rescheduled: hold released, nothing changed\n');
        if (json) io.out(`${JSON.stringify({ appointment: detail, outcome: 'kept' })}\n`);
        return;
      }
    }
    try {
      const r = await rt.client.reschedule(
        id,
        { reservationToken: hold.reservationToken, reason: o.reason },
        { idempotencyKey: `${key}:rs`, ifMatch: detail.version },
      );
      const previous = { start: detail.start, end: detail.end };
      if (json)
        io.out(
          `${JSON.stringify({ appointment: r.data, previous, outcome: r.replayed ? 'already' : 'applied' })}\n`,
        );
      else io.out(`rescheduled ${id}: ${when(r.data.start, z)} ${z}, was ${when(detail.start, z)}\n`);
    } catch (e) {
      // a hold given by token (--reservation) has no slot to queue: it is only reported
      if (isOffline(e) && (hold.timeslotId || timeslotId))
        return queueIntent(rt, {
          kind: 'reschedule',
          appointmentId: id,
          idempotencyKey: key,
          version: detail.version,
          reschedule: {
            providerId: detail.providerId,
            serviceId: detail.serviceId,
            timeslotId: hold.timeslotId || (timeslotId ?? ''),
            reason: o.reason,
          },
          summary: `reschedule ${id}`,
        });
      const err = toCliError(e, io, json, z);
      if ((e as { code?: string }).code === 'reservation_expired') io.err('Hold expired\n');
      throw err;
    }
  });
}

/** "Reserved for mm:ss" on stderr, redrawn every second on a terminal (one line otherwise). */
function countdown(io: IO, expiresAt: string, clock: { now(): number }): () => void {
  const left = () => Math.max(0, Math.ceil((Date.parse(expiresAt) - clock.now()) / 1000));
  const text = () => {
    const s = left();
    return s > 0
      ? `Reserved for ${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
      : 'Hold expired';
  };
  io.err(`${text()}\n`);
  if (!io.isErrTTY || !expiresAt) return () => {};
  // save cursor, go up to the countdown line, redraw it, come back to the prompt
  const t = setInterval(() => io.err(`\u001b7\u001b[1A\r\u001b[2K${text()}\u001b8`), 1000);
  return () => clearInterval(t);
}
