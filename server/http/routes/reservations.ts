import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../../shared/errors.js';
import { Availability, CreateReservation, Reservation } from '../../../shared/schemas.js';
import { isValidZone, resolveDay } from '../../../shared/time.js';
import { getAvailability } from '../../availability/availability.js';
import { requireProvider } from '../../catalog/catalog.js';
import type { AppContext } from '../../context.js';
import { write } from '../../outbox/write.js';
import { createReservation, releaseReservation } from '../../reservations/reservations.js';
import { runMutation } from '../mutation.js';

const Problem = Type.Ref('Problem');
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem };

export const reservationRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/providers/:providerId/availability',
      {
        config: { access: 'any' },
        schema: {
          tags: ['availability'],
          summary: "Timeslots of one day in the provider's zone",
          description:
            'date is YYYY-MM-DD (or today/tomorrow) in the provider’s zone. Slots in the past or inside the minimum notice are left out.',
          params: Type.Object({ providerId: Type.String({ maxLength: 128 }) }),
          querystring: Type.Object({
            serviceId: Type.String({ minLength: 1, maxLength: 128 }),
            date: Type.String({ maxLength: 10 }),
          }),
          response: { 200: Availability, ...errors },
        },
      },
      async (req) => {
        const p = await requireProvider(ctx.db, req.params.providerId);
        const now = ctx.clock.now();
        if (!isValidZone(p.timezone)) throw new AppError('internal', 'provider zone invalid');
        const day = resolveDay(req.query.date, p.timezone, now);
        if (!day)
          throw new AppError(
            'validation',
            `date must be today, tomorrow or YYYY-MM-DD, got ${JSON.stringify(req.query.date)}`,
          );
        return await getAvailability(ctx.db, p.id, req.query.serviceId, day, now);
      },
    );

    app.post(
      '/reservations',
      {
        config: { access: ['admin', 'staff', 'user'] },
        schema: {
          tags: ['reservations'],
          summary: 'Hold a timeslot for a short TTL',
          description:
            'Optional Idempotency-Key: the same key returns the same hold. Send appointmentId to hold for a reschedule; a new hold by the same actor for the same appointment releases the previous one.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
          body: CreateReservation,
          response: { 201: Reservation, ...errors },
        },
      },
      async (req, reply) =>
        await runMutation(ctx, req, reply, {
          keyRequired: false,
          status: 201,
          run: async (w) =>
            await createReservation(
              w.db,
              w,
              req.actor,
              req.body,
              ctx.config.reservationTtlSeconds,
              ctx.config.maxHoldsPerUser,
            ),
        }),
    );

    app.delete(
      '/reservations/:token',
      {
        config: { access: ['admin', 'staff', 'user'] },
        schema: {
          tags: ['reservations'],
          summary: 'Release a hold',
          params: Type.Object({ token: Type.String({ maxLength: 200 }) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await write(ctx, async (w) => await releaseReservation(w.db, w, req.actor, req.params.token));
        return reply.code(204).send(null);
      },
    );
  };
