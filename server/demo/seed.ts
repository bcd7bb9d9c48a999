import type { Appointment } from '../../shared/schemas.js';
import { addDays, DAY, dayOf } from '../../shared/time.js';
import { book, cancel, reschedule, setStatus } from '../appointments/write.js';
import type { Actor } from '../audit/audit.js';
import { candidateSlots } from '../availability/slots.js';
import {
  createProvider,
  createService,
  createUser,
  getService,
  providerHours,
  serviceShape,
  setHours,
} from '../catalog/catalog.js';
import { type AppContext, ManualClock } from '../context.js';
import { stmt } from '../db/open.js';
import { write } from '../outbox/write.js';
import { createReservation } from '../reservations/reservations.js';

/** A small deterministic PRNG so the demo set is the same on every machine. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Ken',
  'Linus',
  'Margaret',
  'Donald',
  'Frances',
  'John',
  'Radia',
  'Tim',
  'Sophie',
  'Niklaus',
  'Hedy',
  'Dennis',
  'Katherine',
  'Guido',
  'Anita',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Thompson',
  'Torvalds',
  'Hamilton',
  'Knuth',
  'Allen',
  'McCarthy',
  'Perlman',
  'Berners-Lee',
  'Wilson',
  'Wirth',
  'Lamarr',
  'Ritchie',
  'Johnson',
  'van Rossum',
  'Borg',
];

export interface DemoOptions {
  customers?: number;
  appointments?: number;
  seed?: number;
}

export async function isEmpty(ctx: AppContext): Promise<boolean> {
  return !(await stmt(ctx.db, 'SELECT 1 FROM providers LIMIT 1').get());
}

/**
 * Seeds providers in several zones, services, ~200 customers and ~2,000 appointments over
 * the past 60 and next 30 days, with history (completed, no-shows, cancellations,
 * reschedules). It goes through the real domain functions, so every row has its audit
 * chain; demo events are marked delivered so nobody is mailed about made-up bookings.
 */
export async function seedDemo(
  ctx: AppContext,
  opts: DemoOptions = {},
): Promise<{ providers: number; users: number; appointments: number }> {
  const customers = opts.customers ?? 200;
  const target = opts.appointments ?? 2000;
  const rand = rng(opts.seed ?? 42);
  const realNow = ctx.clock.now();
  const clock = new ManualClock(realNow);
  const staff: Actor = { id: 'demo-seed', type: 'staff', role: 'staff', channel: 'system' };
  const admin: Actor = { id: 'demo-seed', type: 'admin', role: 'admin', channel: 'system' };
  let made = 0;
  // One outer transaction (one commit for ~2,000 bookings); each step is a nested write
  // (a savepoint), so a refused demo move rolls back alone.
  await ctx.db.transaction(async (tx) => {
    const sctx = { ...ctx, db: tx, clock };
    const provs = [];
    for (const p of [
      { name: 'Dr. Rivera (Dental)', timezone: 'America/New_York', email: 'rivera@clinic.example' },
      { name: 'Harbour Physio', timezone: 'Europe/London', email: 'desk@harbourphysio.example' },
      { name: 'Kauri Hair Studio', timezone: 'Pacific/Auckland', email: 'hello@kauri.example' },
      { name: 'Berlin Vision Care', timezone: 'Europe/Berlin', email: 'termine@vision.example' },
    ])
      provs.push(await write(sctx, async (w) => await createProvider(w.db, w, admin, p)));
    const services = [];
    for (const [i, p] of provs.entries()) {
      services.push(
        await write(
          sctx,
          async (w) =>
            await createService(w.db, w, admin, {
              providerId: p.id,
              title: ['Check-up', 'Assessment', 'Haircut', 'Eye exam'][i],
              durationMinutes: 30,
              priceCents: [6000, 5500, 4500, 7000][i],
              currency: ['USD', 'GBP', 'NZD', 'EUR'][i],
              cancellation: { freeUntilHoursBefore: 24, feeCents: 2000 },
            }),
        ),
      );
      services.push(
        await write(
          sctx,
          async (w) =>
            await createService(w.db, w, admin, {
              providerId: p.id,
              title: ['Cleaning', 'Treatment', 'Colour', 'Contact lens fitting'][i],
              durationMinutes: 60,
              slotStepMinutes: 30,
              bufferAfterMinutes: 10,
              priceCents: [12000, 9000, 11000, 9500][i],
              currency: ['USD', 'GBP', 'NZD', 'EUR'][i],
              minNoticeMinutes: 60,
              cancellation: { freeUntilHoursBefore: 48, feeCents: 4000 },
            }),
        ),
      );
    }
    for (const p of provs) {
      const hours = [1, 2, 3, 4, 5].map((d) => ({ weekday: d, start: '09:00', end: '17:00' }));
      hours.push({ weekday: 6, start: '10:00', end: '14:00' });
      await write(sctx, async (w) => await setHours(w.db, w, admin, p.id, hours));
    }
    const users = [];
    for (let i = 0; i < customers; i++) {
      const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}${i >= 400 ? ` ${i}` : ''}`;
      const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${i}@example.com`;
      users.push(
        await write(
          sctx,
          async (w) => await createUser(w.db, w, admin, { name, email, phone: `+1 555 ${String(1000 + i)}` }),
        ),
      );
    }

    // Walk the days from 60 back to 30 ahead and fill a share of each provider's slots.
    const perDay = target / (70 * provs.length); // 78 working days in 91 (no Sundays), less slots lost to clashes
    for (let d = -60; d <= 30 && made < target; d++) {
      for (const p of provs) {
        const day = addDays(dayOf(realNow, p.timezone), d);
        const taken: { s: number; e: number }[] = [];
        let wanted = Math.floor(perDay + rand());
        for (let attempt = 0; wanted > 0 && attempt < 20 && made < target; attempt++) {
          const svcRow = (await getService(
            tx,
            services[services.findIndex((s) => s.providerId === p.id) + (rand() < 0.6 ? 0 : 1)].id,
          ))!;
          const cands = candidateSlots(
            day,
            p.timezone,
            await providerHours(tx, p.id),
            serviceShape(svcRow),
          ).filter((c) => !taken.some((t) => c.blockStart < t.e && t.s < c.blockEnd));
          if (cands.length === 0) break;
          const slot = cands[Math.floor(rand() * cands.length)];
          // booked 1-20 days before it starts (and not in the future)
          const bookedAt = Math.min(realNow, slot.start - Math.floor((1 + rand() * 19) * DAY));
          clock.set(bookedAt);
          const user = users[Math.floor(rand() * users.length)];
          taken.push({ s: slot.blockStart, e: slot.blockEnd });
          let appt: Appointment;
          try {
            const hold = await write(
              sctx,
              async (w) =>
                await createReservation(
                  w.db,
                  w,
                  staff,
                  { providerId: p.id, serviceId: svcRow.id, timeslotId: slot.id, userId: user.id },
                  90,
                ),
            );
            appt = await write(
              sctx,
              async (w) =>
                await book(
                  w.db,
                  w,
                  staff,
                  { reservationToken: hold.reservationToken, userId: user.id },
                  { idempotencyKey: `demo-${made}` },
                ),
            );
          } catch {
            continue; // taken by an earlier demo move: pick another slot
          }
          made++;
          wanted--;
          const roll = rand();
          const isPast = slot.start < realNow;
          if (roll < 0.1) {
            clock.set(
              Math.max(
                bookedAt + 60_000,
                Math.min(realNow, slot.start - Math.floor(rand() * 3 * DAY) - 3_600_000),
              ),
            );
            await write(
              sctx,
              async (w) => await cancel(w.db, w, staff, appt.id, { reason: 'customer called to cancel' }, {}),
            );
            taken.pop();
          } else if (roll < 0.18 && slot.start - DAY > bookedAt) {
            // moved once to a free slot later the same day or the day after
            const moveAt = Math.min(realNow, slot.start - DAY);
            clock.set(moveAt);
            const nextDay = addDays(day, rand() < 0.5 ? 0 : 1);
            const options = candidateSlots(
              nextDay,
              p.timezone,
              await providerHours(tx, p.id),
              serviceShape(svcRow),
            ).filter((c) => c.start > moveAt + 3_600_000 && c.start !== slot.start);
            for (const o of options.slice(0, 6)) {
              try {
                const h = await write(
                  sctx,
                  async (w) =>
                    await createReservation(
                      w.db,
                      w,
                      staff,
                      { providerId: p.id, serviceId: svcRow.id, timeslotId: o.id, appointmentId: appt.id },
                      90,
                    ),
                );
                await write(
                  sctx,
                  async (w) =>
                    await reschedule(
                      w.db,
                      w,
                      staff,
                      appt.id,
                      { reservationToken: h.reservationToken, reason: 'customer asked to move' },
                      {},
                    ),
                );
                taken.push({ s: o.blockStart, e: o.blockEnd });
                break;
              } catch {
                // that slot is taken in the demo plan: try the next one
              }
            }
          } else if (isPast) {
            clock.set(Math.max(slot.start, Math.min(realNow, slot.end + 60_000)));
            await write(
              sctx,
              async (w) =>
                await setStatus(w.db, w, staff, appt.id, rand() < 0.93 ? 'complete' : 'no_show', {}, {}),
            );
          }
        }
      }
    }
    await stmt(tx, "UPDATE outbox SET status = 'done', processed_at = ? WHERE status = 'pending'").run(
      realNow,
    );
    // holds used by the seed are consumed; none is left active
  });
  return { providers: 4, users: customers, appointments: made };
}
