import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CheckResult } from '../../../shared/schemas.js';
import type { AppContext } from '../../context.js';
import { stmt } from '../../db/open.js';
import { checkInvariants } from '../../invariants/check.js';

const Problem = Type.Ref('Problem');

export const opsRoutes =
  (ctx: AppContext, health: { jobsRunning: () => boolean }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Process up',
          response: { 200: Type.Object({ ok: Type.Boolean() }) },
        },
      },
      async () => ({ ok: true }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Database writable, migrations applied, jobs running',
          response: {
            200: Type.Object({ ok: Type.Boolean(), checks: Type.Record(Type.String(), Type.Boolean()) }),
            503: Type.Object({ ok: Type.Boolean(), checks: Type.Record(Type.String(), Type.Boolean()) }),
          },
        },
      },
      async (_req, reply) => {
        const checks: Record<string, boolean> = {};
        try {
          ctx.db.sqlite.exec('BEGIN IMMEDIATE; ROLLBACK;');
          checks.database = true;
        } catch {
          checks.database = false;
        }
        try {
          checks.migrations = Boolean(stmt(ctx.db, 'SELECT 1 FROM __drizzle_migrations LIMIT 1').get());
        } catch {
          checks.migrations = false;
        }
        checks.jobs = !ctx.config.jobs || health.jobsRunning();
        const ok = Object.values(checks).every(Boolean);
        return reply.code(ok ? 200 : 503).send({ ok, checks });
      },
    );
    app.get(
      '/admin/check',
      {
        config: { access: ['admin'] },
        schema: {
          tags: ['admin'],
          summary: 'Invariant checker and audit-chain verification',
          response: { 200: CheckResult, 401: Problem, 403: Problem },
        },
      },
      async () => checkInvariants(ctx.db, ctx.clock.now(), { holdGraceMs: 5_000 }),
    );
  };
