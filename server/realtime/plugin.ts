import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';

/** The embedded Pusher-protocol hub (WebSocket /app/{key}, /realtime/auth, /apps/{id}/events). */
export const realtimePlugin =
  (_ctx: AppContext): FastifyPluginAsync =>
  async () => {};
