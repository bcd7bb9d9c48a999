import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../../shared/errors.js';
import {
  Alternatives,
  AppointmentDetail,
  AppointmentPage,
  Appointment as AppointmentSchema,
  AuditEntry,
  CancelBody,
  CancellationQuote,
  CancelResult,
  CreateBooking,
  RescheduleBody,
} from '../../../shared/schemas.js';
import { BoundedLru } from '../../../shared/lru.js';
import { addDays, isValidZone, parseDay, resolveDay, startOfDay } from '../../../shared/time.js';
import {
  listUserAppointments,
  notificationsFor,
  searchAppointments,
  toAppointment,
  userListTag,
  visibleAppointment,
  policyInput,
} from '../../appointments/read.js';
import { book, cancel, reschedule } from '../../appointments/write.js';
import { auditForAppointment } from '../../audit/audit.js';
import { quickAlternatives } from '../../availability/alternatives.js';
import { getProvider, getService } from '../../catalog/catalog.js';
import { appointmentIcs } from '../../calendar/ics.js';
import type { AppContext } from '../../context.js';
import { cancellationQuote, rescheduleText } from '../../policies/policies.js';
import { noneMatch } from '../caching.js';
import { runMutation } from '../mutation.js';
import { errors, etag, IdemHeaders, IdParams } from './appointment-schemas.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

export const appointmentRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const all = ['admin', 'staff', 'support', 'user'] as const;
    const writers = ['admin', 'staff', 'user'] as const;
    // the user list's serialised pages by ETag: a repeated read costs the tag's statement
    const pages = new BoundedLru<string>(ctx.config.listCacheMb * 1024 * 1024, (b) => b.length);

    app.get(
      '/users/:userId/appointments',
      {
        config: { access: [...all] },
        schema: {
          tags: ['appointments'],
          summary: "A customer's appointments (upcoming soonest first; history newest first)",
          params: Type.Object({ userId: Type.String({ maxLength: 128 }) }),
          querystring: Type.Object({
            filter: Type.Optional(
              Type.Union([Type.Literal('upcoming'), Type.Literal('history')], { default: 'upcoming' }),
            ),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          }),
          response: { 200: AppointmentPage, ...errors },
        },
      },
      async (req, reply) => {
        const { userId } = req.params;
        if (req.principal!.role === 'user' && req.principal!.userId !== userId)
          throw new AppError('not_found', `user ${userId} not found`);
        const q = {
          userId,
          filter: req.query.filter ?? 'upcoming',
          limit: req.query.limit ?? 20,
          cursor: req.query.cursor,
          now: ctx.clock.now(),
        } as const;
        // the validator comes first and from the database (every process agrees on it); a
        // match is answered without reading the page
        const tag = await userListTag(ctx.db, q);
        if (!tag) return await listUserAppointments(ctx.db, q);
        reply.header('etag', `"${tag}"`);
        if (noneMatch(req.headers['if-none-match'], `"${tag}"`)) return reply.code(304).send();
        let body = pages.get(tag);
        if (body === undefined) {
          const page = await listUserAppointments(ctx.db, q);
          body = reply.serialize(page) as string;
          pages.set(tag, body);
        }
        return reply.type(JSON_TYPE).send(body);
      },
    );

    app.get(
      '/appointments',
      {
        config: { access: ['admin', 'staff', 'support'] },
        schema: {
          tags: ['appointments'],
          summary: 'Front-desk day view and search',
          description:
            'date is a day in the provider’s zone when providerId is given, else in `tz` (default UTC). status may be a status or `active`.',
          querystring: Type.Object({
            providerId: Type.Optional(Type.String({ maxLength: 128 })),
            userId: Type.Optional(Type.String({ maxLength: 128 })),
            date: Type.Optional(Type.String({ maxLength: 10 })),
            tz: Type.Optional(Type.String({ maxLength: 64 })),
            days: Type.Optional(Type.Integer({ minimum: 1, maximum: 62, default: 1 })),
            status: Type.Optional(Type.String({ maxLength: 20 })),
            q: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Limit),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          }),
          response: { 200: AppointmentPage, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const statuses = [
          'active',
          'upcoming',
          'confirmed',
          'rescheduled',
          'cancelled',
          'completed',
          'no_show',
        ];
        if (q.status && !statuses.includes(q.status))
          throw new AppError('validation', `status must be one of ${statuses.join(', ')}`);
        let from: number | undefined;
        let to: number | undefined;
        if (q.date) {
          let zone = q.tz ?? 'UTC';
          if (q.providerId) zone = (await getProvider(ctx.db, q.providerId))?.timezone ?? zone;
          if (!isValidZone(zone))
            throw new AppError('validation', `unknown time zone ${JSON.stringify(zone)}`);
          const day = resolveDay(q.date, zone, ctx.clock.now());
          if (!day || !parseDay(day))
            throw new AppError('validation', 'date must be today, tomorrow or YYYY-MM-DD');
          from = startOfDay(day, zone);
          to = startOfDay(addDays(day, q.days ?? 1), zone);
        }
        return await searchAppointments(ctx.db, {
          ...(q.providerId ? { providerId: q.providerId } : {}),
          ...(q.userId ? { userId: q.userId } : {}),
          ...(from !== undefined ? { from, to } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.q ? { q: q.q } : {}),
          limit: q.limit ?? 20,
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
      },
    );

    app.get(
      '/appointments/:id',
      {
        config: { access: [...all] },
        schema: {
          tags: ['appointments'],
          summary: 'Details with policy, audit and notification status; ETag is the version',
          params: IdParams,
          response: { 200: AppointmentDetail, ...errors },
        },
      },
      async (req, reply) => {
        const r = await visibleAppointment(ctx.db, req.actor, req.params.id);
        reply.header('etag', `"${r.version}"`);
        return {
          ...toAppointment(r),
          reschedulePolicy: {
            minNoticeMinutes: r.min_notice_minutes,
            text: rescheduleText(r.min_notice_minutes),
          },
          audit: await auditForAppointment(ctx.db, r.id),
          notifications: await notificationsFor(ctx.db, r.id),
        };
      },
    );

    app.get(
      '/appointments/:id/audit',
      {
        config: { access: [...all] },
        schema: {
          tags: ['audit'],
          summary: 'Audit trail, oldest first',
          params: IdParams,
          response: { 200: Type.Object({ items: Type.Array(AuditEntry) }), ...errors },
        },
      },
      async (req) => {
        const r = await visibleAppointment(ctx.db, req.actor, req.params.id);
        return { items: await auditForAppointment(ctx.db, r.id) };
      },
    );

    app.get(
      '/appointments/:id/cancellation-quote',
      {
        config: { access: [...writers] },
        schema: {
          tags: ['appointments'],
          summary: 'Fee and refund if cancelled now',
          params: IdParams,
          response: { 200: CancellationQuote, ...errors },
        },
      },
      async (req) => {
        const r = await visibleAppointment(ctx.db, req.actor, req.params.id);
        return cancellationQuote(r.id, policyInput(r), ctx.clock.now());
      },
    );

    app.get(
      '/appointments/:id/alternatives',
      {
        config: { access: [...writers] },
        schema: {
          tags: ['appointments'],
          summary: 'Quick alternatives: tomorrow, next available, or a date',
          params: IdParams,
          querystring: Type.Object({
            kind: Type.Optional(
              Type.Union([Type.Literal('tomorrow'), Type.Literal('next'), Type.Literal('date')], {
                default: 'next',
              }),
            ),
            date: Type.Optional(Type.String({ maxLength: 10 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 8 })),
          }),
          response: { 200: Alternatives, ...errors },
        },
      },
      async (req) => {
        const r = await visibleAppointment(ctx.db, req.actor, req.params.id);
        const kind = req.query.kind ?? 'next';
        const now = ctx.clock.now();
        let date: string | undefined;
        if (kind === 'date') {
          date = resolveDay(req.query.date ?? '', r.timezone, now) ?? undefined;
          if (!date) throw new AppError('validation', 'kind=date needs date=YYYY-MM-DD (or today/tomorrow)');
        }
        const p = (await getProvider(ctx.db, r.provider_id))!;
        const s = (await getService(ctx.db, r.service_id))!;
        const items = await quickAlternatives(
          ctx.db,
          p,
          s,
          r.start_at,
          now,
          r.price_cents,
          kind,
          date,
          { appointmentId: r.id },
          req.query.limit ?? 8,
        );
        return { appointmentId: r.id, kind, timezone: r.timezone, items };
      },
    );

    app.get(
      '/appointments/:id/ics',
      {
        config: { access: [...writers] },
        schema: {
          tags: ['calendar'],
          summary: 'One VEVENT (add to calendar)',
          params: IdParams,
          produces: ['text/calendar'],
        },
      },
      async (req, reply) => {
        const r = await visibleAppointment(ctx.db, req.actor, req.params.id);
        reply
          .type('text/calendar; charset=utf-8')
          .header('content-disposition', `attachment; filename="${r.id}.ics"`);
        return appointmentIcs(toAppointment(r));
      },
    );

    app.post(
      '/bookings',
      {
        config: { access: [...writers] },
        schema: {
          tags: ['appointments'],
          summary: 'Book a held slot (Idempotency-Key required)',
          headers: IdemHeaders,
          body: CreateBooking,
          response: { 201: AppointmentSchema, ...errors },
        },
      },
      async (req, reply) =>
        await runMutation(ctx, req, reply, {
          keyRequired: true,
          status: 201,
          auditAs: 'book',
          run: async (w, meta) => await book(w.db, w, req.actor, req.body, meta),
          headers: etag,
        }),
    );

    app.post(
      '/appointments/:id/reschedule',
      {
        config: { access: [...writers] },
        schema: {
          tags: ['appointments'],
          summary: 'Move to a held slot; the id never changes (Idempotency-Key required, If-Match honoured)',
          params: IdParams,
          headers: IdemHeaders,
          body: RescheduleBody,
          response: { 200: AppointmentSchema, ...errors },
        },
      },
      async (req, reply) =>
        await runMutation(ctx, req, reply, {
          keyRequired: true,
          status: 200,
          auditAs: 'reschedule',
          appointmentId: req.params.id,
          run: async (w, meta) => await reschedule(w.db, w, req.actor, req.params.id, req.body, meta),
          headers: etag,
        }),
    );

    app.post(
      '/appointments/:id/cancel',
      {
        config: { access: [...writers] },
        schema: {
          tags: ['appointments'],
          summary: 'Cancel with the policy’s fee (staff may waive with a reason)',
          params: IdParams,
          headers: IdemHeaders,
          body: Type.Optional(CancelBody),
          response: { 200: CancelResult, ...errors },
        },
      },
      async (req, reply) =>
        await runMutation(ctx, req, reply, {
          keyRequired: true,
          status: 200,
          auditAs: 'cancel',
          appointmentId: req.params.id,
          run: async (w, meta) => await cancel(w.db, w, req.actor, req.params.id, req.body ?? {}, meta),
          headers: (r) => etag(r.appointment),
        }),
    );
  };
