import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';

/** Inbound signed webhooks (notifications delivery status, calendar busy blocks). Filled in by the jobs work. */
export const webhookRoutes =
  (_ctx: AppContext): FastifyPluginAsyncTypebox =>
  async () => {};
