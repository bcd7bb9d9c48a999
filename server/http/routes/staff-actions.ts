import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ActionBody, Appointment as AppointmentSchema } from '../../../shared/schemas.js';
import { visibleAppointment } from '../../appointments/read.js';
import { setAttention, setStatus } from '../../appointments/write.js';
import type { AppContext } from '../../context.js';
import { write } from '../../outbox/write.js';
import { runMutation } from '../mutation.js';
import { errors, etag, IdemHeaders, IdParams } from './appointment-schemas.js';

/** Staff actions on an appointment: confirm (approve), complete, no-show, the attention flag. */
export const staffActionRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    for (const [path, action, keyRequired] of [
      ['confirm', 'confirm', true],
      ['complete', 'complete', false],
      ['no-show', 'no_show', false],
    ] as const) {
      app.post(
        `/appointments/:id/${path}`,
        {
          config: { access: ['admin', 'staff'] },
          schema: {
            tags: ['appointments'],
            summary: `Staff: ${path}${keyRequired ? ' (Idempotency-Key required)' : ''}`,
            params: IdParams,
            headers: IdemHeaders,
            body: Type.Optional(ActionBody),
            response: { 200: AppointmentSchema, ...errors },
          },
        },
        async (req, reply) =>
          await runMutation(ctx, req, reply, {
            keyRequired,
            status: 200,
            appointmentId: req.params.id,
            run: async (w, meta) =>
              await setStatus(w.db, w, req.actor, req.params.id, action, req.body ?? {}, meta),
            headers: etag,
          }),
      );
    }

    app.post(
      '/appointments/:id/attention',
      {
        config: { access: ['admin', 'staff'] },
        schema: {
          tags: ['appointments'],
          summary: 'Staff: clear (or set) the needs-attention flag',
          params: IdParams,
          body: Type.Object(
            { needsAttention: Type.Boolean(), reason: Type.Optional(Type.String({ maxLength: 500 })) },
            { additionalProperties: false },
          ),
          response: { 200: AppointmentSchema, ...errors },
        },
      },
      async (req) => {
        await visibleAppointment(ctx.db, req.actor, req.params.id);
        return await write(
          ctx,
          async (w) =>
            await setAttention(
              w.db,
              w,
              req.actor,
              req.params.id,
              req.body.needsAttention ? (req.body.reason ?? 'flagged by staff') : null,
            ),
        );
      },
    );
  };
