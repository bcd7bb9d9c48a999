import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { applyCalendarBusy, applyDeliveryStatus } from '../../webhooks/inbound.js';
import { SIGNATURE_HEADER, verifySignature } from '../../webhooks/signature.js';

const ProblemRef = Type.Ref('Problem');

const DeliveryBody = Type.Object(
  {
    messageId: Type.String({ minLength: 1, maxLength: 500 }),
    status: Type.Union([Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('bounced')]),
    error: Type.Optional(Type.String({ maxLength: 2000 })),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const CalendarBody = Type.Object(
  {
    providerId: Type.String({ minLength: 1, maxLength: 128 }),
    busy: Type.Array(
      Type.Object(
        {
          externalId: Type.String({ minLength: 1, maxLength: 500 }),
          start: Type.String({ format: 'date-time' }),
          end: Type.String({ format: 'date-time' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5000 },
    ),
    removed: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 5000 }),
  },
  { additionalProperties: false },
);

const signedHeaders = Type.Object({
  'appt-signature': Type.Optional(
    Type.String({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' }),
  ),
});

/**
 * Inbound signed webhooks. The signature covers the raw bytes, so this plugin (and only
 * this encapsulated scope) parses JSON itself and keeps the raw body; the check runs in
 * preValidation, before the body schema, so an unsigned request learns nothing.
 */
export const webhookRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const raw = new WeakMap<FastifyRequest, string>();
    const verified = new WeakMap<FastifyRequest, string>();
    // Only JSON, parsed here from the raw bytes the signature covers: the form parser the
    // rest of the app has must not hand a handler a body the signature never saw (→ 415).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      raw.set(req, body as string);
      try {
        done(null, JSON.parse(body as string));
      } catch {
        const err = new Error('body is not valid JSON') as Error & { statusCode: number };
        err.statusCode = 400;
        done(err, undefined);
      }
    });
    app.addHook('preValidation', async (req) => {
      const header = req.headers[SIGNATURE_HEADER];
      verified.set(
        req,
        verifySignature(
          ctx.config.webhookSecret,
          Array.isArray(header) ? header[0] : header,
          raw.get(req) ?? '',
          ctx.clock.now(),
        ),
      );
    });

    app.post(
      '/webhooks/notifications',
      {
        config: { access: 'signed' },
        schema: {
          tags: ['webhooks'],
          summary: 'Delivery status from an SMS/email/push gateway (signed)',
          security: [],
          headers: signedHeaders,
          body: DeliveryBody,
          response: {
            200: Type.Object({
              id: Type.String(),
              appointmentId: Type.Union([Type.String(), Type.Null()]),
              status: Type.String(),
            }),
            401: ProblemRef,
            404: ProblemRef,
            409: ProblemRef,
          },
        },
      },
      async (req) => await applyDeliveryStatus(ctx, verified.get(req)!, req.body),
    );

    app.post(
      '/webhooks/calendar',
      {
        config: { access: 'signed' },
        schema: {
          tags: ['webhooks'],
          summary: "Busy blocks from a provider's external calendar (signed)",
          description:
            'Upserts/removes busy blocks (source calendar); colliding appointments are flagged needsAttention, not cancelled.',
          security: [],
          headers: signedHeaders,
          body: CalendarBody,
          response: {
            200: Type.Object({
              providerId: Type.String(),
              upserted: Type.Integer(),
              removed: Type.Integer(),
              flagged: Type.Array(Type.String()),
            }),
            401: ProblemRef,
            404: ProblemRef,
            409: ProblemRef,
          },
        },
      },
      async (req) => await applyCalendarBusy(ctx, verified.get(req)!, req.body),
    );
  };
