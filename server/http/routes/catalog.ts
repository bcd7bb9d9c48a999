import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AuditPage,
  AuditVerify,
  CreatedToken,
  CreateProvider,
  CreateService,
  CreateToken,
  CreateUser,
  HoursBody,
  Me,
  Provider,
  Service,
  TimeOff,
  TimeOffBody,
  TokenInfo,
  UpdateProvider,
  User,
} from '../../../shared/schemas.js';
import { AppError } from '../../../shared/errors.js';
import { parseSince } from '../../../shared/since.js';
import { searchAudit } from '../../audit/audit.js';
import { createToken, listTokens, revokeToken, rotateToken } from '../../auth/tokens.js';
import {
  addTimeOff,
  createProvider,
  createService,
  createUser,
  getUser,
  listProviders,
  listServices,
  listTimeOff,
  listUsers,
  providerHours,
  requireProvider,
  setHours,
  toUser,
  updateProvider,
} from '../../catalog/catalog.js';
import { removeProvider, removeService, removeTimeOff, updateService } from '../../catalog/edit.js';
import { Removed, UpdateService } from '../../../shared/catalog-schemas.js';
import type { AppContext } from '../../context.js';
import { type CheckRunner, ONE_RUN_AT_A_TIME } from '../../ops/checks.js';
import { write } from '../../outbox/write.js';

const Problem = Type.Ref('Problem');
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };
const Id = Type.Object({ id: Type.String({ maxLength: 128 }) });
const HoursOut = Type.Array(
  Type.Object({ weekday: Type.Integer(), start: Type.String(), end: Type.String() }),
);

function isoParam(name: string, v: string | undefined, now: number): number | undefined {
  if (v === undefined) return undefined;
  // the same forms as every `since` (shared/since.ts): 1h, 7d, 90m, 2w back from now, or ISO
  const t = parseSince(v, now, { future: true });
  if (t === null)
    throw new AppError('validation', `${name} must be an ISO 8601 time or a span like 1h, 7d, 90m, 2w`);
  return t;
}

export const catalogRoutes =
  (ctx: AppContext, checks: CheckRunner): FastifyPluginAsyncTypebox =>
  async (app) => {
    const admin = { access: ['admin' as const] };

    app.get(
      '/me',
      {
        config: { access: 'any' },
        schema: { tags: ['auth'], summary: 'Who this token is', response: { 200: Me, 401: Problem } },
      },
      async (req) => req.principal!,
    );
    app.get(
      '/providers',
      {
        config: { access: 'any' },
        schema: {
          tags: ['catalog'],
          response: { 200: Type.Object({ items: Type.Array(Provider) }), ...errors },
        },
      },
      async (req) => ({ items: await listProviders(ctx.db, { admin: req.principal?.role === 'admin' }) }),
    );
    app.get(
      '/providers/:providerId/services',
      {
        config: { access: 'any' },
        schema: {
          tags: ['catalog'],
          params: Type.Object({ providerId: Type.String({ maxLength: 128 }) }),
          response: { 200: Type.Object({ items: Type.Array(Service) }), ...errors },
        },
      },
      async (req) => ({ items: await listServices(ctx.db, req.params.providerId) }),
    );

    app.post(
      '/admin/providers',
      {
        config: admin,
        schema: { tags: ['admin'], body: CreateProvider, response: { 201: Provider, ...errors } },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await write(ctx, async (w) => await createProvider(w.db, w, req.actor, req.body))),
    );
    app.patch(
      '/admin/providers/:id',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Change name, email or CalDAV URL (the zone is fixed)',
          params: Id,
          body: UpdateProvider,
          response: { 200: Provider, ...errors },
        },
      },
      async (req) =>
        await write(ctx, async (w) => await updateProvider(w.db, w, req.actor, req.params.id, req.body)),
    );
    app.post(
      '/admin/services',
      {
        config: admin,
        schema: { tags: ['admin'], body: CreateService, response: { 201: Service, ...errors } },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await write(ctx, async (w) => await createService(w.db, w, req.actor, req.body))),
    );
    app.put(
      '/admin/providers/:id/hours',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: "Weekly hours in the provider's local time (replaces all)",
          params: Id,
          body: HoursBody,
          response: { 200: HoursOut, ...errors },
        },
      },
      async (req) =>
        await write(ctx, async (w) => await setHours(w.db, w, req.actor, req.params.id, req.body)),
    );
    app.get(
      '/admin/providers/:id/hours',
      {
        config: { access: ['admin', 'staff', 'support'] },
        schema: { tags: ['admin'], params: Id, response: { 200: HoursOut, ...errors } },
      },
      async (req) => {
        await requireProvider(ctx.db, req.params.id);
        const f = (m: number) =>
          `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        return (await providerHours(ctx.db, req.params.id)).map((h) => ({
          weekday: h.weekday,
          start: f(h.startMinute),
          end: f(h.endMinute),
        }));
      },
    );
    app.post(
      '/admin/providers/:id/time-off',
      {
        config: admin,
        schema: { tags: ['admin'], params: Id, body: TimeOffBody, response: { 201: TimeOff, ...errors } },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await write(ctx, async (w) => await addTimeOff(w.db, w, req.actor, req.params.id, req.body))),
    );
    app.get(
      '/admin/providers/:id/time-off',
      {
        config: { access: ['admin', 'staff', 'support'] },
        schema: {
          tags: ['admin'],
          params: Id,
          response: { 200: Type.Object({ items: Type.Array(TimeOff) }), ...errors },
        },
      },
      async (req) => ({ items: await listTimeOff(ctx.db, req.params.id) }),
    );
    // Editing and removing catalog entries (issue 13); the rules are in server/catalog/edit.ts.
    app.patch(
      '/admin/services/:id',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary:
            'Change a service (applies to new bookings; cancellation terms only without active appointments)',
          params: Id,
          body: UpdateService,
          response: { 200: Service, ...errors },
        },
      },
      async (req) =>
        await write(ctx, async (w) => await updateService(w.db, w, req.actor, req.params.id, req.body)),
    );
    app.delete(
      '/admin/services/:id',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Remove a service (kept for history); 409 has_active_appointments while any use it',
          params: Id,
          response: { 200: Removed, ...errors },
        },
      },
      async (req) => await write(ctx, async (w) => await removeService(w.db, w, req.actor, req.params.id)),
    );
    app.delete(
      '/admin/providers/:id',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary:
            'Remove a provider and its services (kept for history); 409 has_active_appointments while any',
          params: Id,
          response: { 200: Removed, ...errors },
        },
      },
      async (req) => await write(ctx, async (w) => await removeProvider(w.db, w, req.actor, req.params.id)),
    );
    app.delete(
      '/admin/providers/:id/time-off/:timeOffId',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Remove time off an admin added (calendar-synced blocks change in the calendar)',
          params: Type.Object({
            id: Type.String({ maxLength: 128 }),
            timeOffId: Type.String({ maxLength: 128 }),
          }),
          response: { 200: Removed, ...errors },
        },
      },
      async (req) =>
        await write(
          ctx,
          async (w) => await removeTimeOff(w.db, w, req.actor, req.params.id, req.params.timeOffId),
        ),
    );
    app.post(
      '/admin/users',
      { config: admin, schema: { tags: ['admin'], body: CreateUser, response: { 201: User, ...errors } } },
      async (req, reply) =>
        reply.code(201).send(await write(ctx, async (w) => await createUser(w.db, w, req.actor, req.body))),
    );
    app.get(
      '/admin/users',
      {
        config: { access: ['admin', 'staff', 'support'] },
        schema: {
          tags: ['admin'],
          querystring: Type.Object({
            q: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          }),
          response: { 200: Type.Object({ items: Type.Array(User) }), ...errors },
        },
      },
      async (req) => ({ items: await listUsers(ctx.db, req.query.q, req.query.limit ?? 50) }),
    );
    app.get(
      '/admin/users/:id',
      {
        config: { access: ['admin', 'staff', 'support'] },
        schema: { tags: ['admin'], params: Id, response: { 200: User, ...errors } },
      },
      async (req) => {
        const u = await getUser(ctx.db, req.params.id);
        if (!u) throw new AppError('not_found', `user ${req.params.id} not found`);
        return toUser(u);
      },
    );
    app.post(
      '/admin/tokens',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Create a token (shown once)',
          body: CreateToken,
          response: { 201: CreatedToken, ...errors },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await write(ctx, async (w) => await createToken(w.db, w, req.actor, req.body))),
    );
    app.get(
      '/admin/tokens',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          response: { 200: Type.Object({ items: Type.Array(TokenInfo) }), ...errors },
        },
      },
      async () => ({ items: await listTokens(ctx.db) }),
    );
    app.delete(
      '/admin/tokens/:id',
      {
        config: admin,
        schema: { tags: ['admin'], summary: 'Revoke', params: Id, response: { 204: Type.Null(), ...errors } },
      },
      async (req, reply) => {
        await write(ctx, async (w) => await revokeToken(w.db, w, req.actor, req.params.id));
        return reply.code(204).send(null);
      },
    );
    app.post(
      '/admin/tokens/:id/rotate',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'A new token; the old one is revoked',
          params: Id,
          response: { 201: CreatedToken, ...errors },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await write(ctx, async (w) => await rotateToken(w.db, w, req.actor, req.params.id))),
    );
    app.get(
      '/admin/audit',
      {
        config: { access: ['admin', 'support'] },
        schema: {
          tags: ['audit'],
          summary: 'Search the audit log, newest first',
          querystring: Type.Object({
            actorId: Type.Optional(Type.String({ maxLength: 200 })),
            action: Type.Optional(Type.String({ maxLength: 50 })),
            appointmentId: Type.Optional(Type.String({ maxLength: 128 })),
            since: Type.Optional(Type.String({ maxLength: 40 })),
            until: Type.Optional(Type.String({ maxLength: 40 })),
            cursor: Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          }),
          response: { 200: AuditPage, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const since = isoParam('since', q.since, ctx.clock.now());
        const until = isoParam('until', q.until, ctx.clock.now());
        return await searchAudit(ctx.db, {
          ...(q.actorId ? { actorId: q.actorId } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(q.appointmentId ? { appointmentId: q.appointmentId } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          ...(q.cursor ? { cursor: Number(q.cursor) } : {}),
          limit: q.limit ?? 50,
        });
      },
    );
    app.get(
      '/admin/audit/verify',
      {
        config: { access: ['admin', 'support'] },
        schema: {
          tags: ['audit'],
          summary: 'Recompute every hash chain',
          description: ONE_RUN_AT_A_TIME,
          response: {
            200: AuditVerify,
            ...errors,
            409: Type.Ref('Problem', {
              description: 'check_in_progress: another check or verify is running',
            }),
          },
        },
      },
      async () => await checks.runAdmin({ kind: 'verify' }),
    );
  };
