import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { feedFor, providerFeed, rotateFeedToken } from '../../calendar/feed.js';
import type { AppContext } from '../../context.js';

/**
 * The per-provider ICS feed any calendar app can subscribe to. Calendar apps cannot send
 * a bearer token, so the feed is open and guarded by the provider's feed token instead.
 */
export const calendarRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/providers/:providerId/calendar.ics',
      {
        config: { access: 'open' },
        schema: {
          tags: ['calendar'],
          summary: "A provider's appointments as an iCalendar feed (subscribe with the feed token)",
          security: [],
          params: Type.Object({ providerId: Type.String({ maxLength: 128 }) }),
          querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) }),
          response: { 200: Type.String({ description: 'text/calendar' }), 404: Type.Ref('Problem') },
        },
      },
      async (req, reply) => {
        const ics = await providerFeed(ctx.db, req.params.providerId, req.query.token, ctx.clock.now());
        return reply
          .type('text/calendar; charset=utf-8')
          .header('cache-control', 'private, max-age=60')
          .send(ics);
      },
    );

    const Feed = Type.Object({ providerId: Type.String(), token: Type.String(), path: Type.String() });
    const params = Type.Object({ id: Type.String({ maxLength: 128 }) });
    const errors = { 401: Type.Ref('Problem'), 403: Type.Ref('Problem'), 404: Type.Ref('Problem') };
    app.get(
      '/admin/providers/:id/feed',
      {
        config: { access: ['admin'] },
        schema: {
          tags: ['admin', 'calendar'],
          summary: "A provider's ICS feed token and subscription path",
          params,
          response: { 200: Feed, ...errors },
        },
      },
      async (req) => await feedFor(ctx.db, req.params.id),
    );
    app.post(
      '/admin/providers/:id/feed/rotate',
      {
        config: { access: ['admin'] },
        schema: {
          tags: ['admin', 'calendar'],
          summary: 'Replace the feed token; the old subscription URL stops working',
          params,
          response: { 200: Feed, ...errors },
        },
      },
      async (req) => await rotateFeedToken(ctx.db, req.actor, req.params.id, ctx.clock.now()),
    );
  };
