import { rememberSignature } from '../webhooks/signature.js';
import type { AddressInfo } from 'node:net';
import websocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { RealtimeConfig } from '../../shared/realtime-client.js';
import type { AppContext } from '../context.js';
import type { Hub } from './hub.js';
import {
  channelAuth,
  channelKind,
  isValidChannelName,
  SOCKET_ID_RE,
  userOfChannel,
  verifyApiRequest,
} from './protocol.js';

export interface RealtimePluginOptions {
  /** the wall clock for Pusher API timestamps (seconds) */
  nowSeconds?: () => number;
}

const Problem = Type.Ref('Problem');
const errors = { 400: Problem, 401: Problem, 403: Problem };

const AuthBody = Type.Object(
  {
    socket_id: Type.String({ maxLength: 64 }),
    channel_name: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);

const EventBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    data: Type.String({ maxLength: 10 * 1024 }),
    channels: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 100 })),
    channel: Type.Optional(Type.String({ maxLength: 200 })),
    socket_id: Type.Optional(Type.String({ maxLength: 64 })),
    info: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const BatchBody = Type.Object(
  {
    batch: Type.Array(
      Type.Object(
        {
          channel: Type.String({ maxLength: 200 }),
          name: Type.String({ minLength: 1, maxLength: 200 }),
          data: Type.String({ maxLength: 10 * 1024 }),
          socket_id: Type.Optional(Type.String({ maxLength: 64 })),
          info: Type.Optional(Type.String({ maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10 },
    ),
  },
  { additionalProperties: false },
);

/** The embedded Pusher-protocol hub (WebSocket /app/{key}, /realtime/auth, /apps/{id}/events). */
export const realtimePlugin =
  (ctx: AppContext, opts: RealtimePluginOptions = {}): FastifyPluginAsync =>
  async (app) => {
    const { config } = ctx;
    // the hub, the feed and the relay are built in the composition root (createContext)
    const { hub, external } = ctx.realtime;
    // Clients sign subscriptions for the hub they connect to: the external one when configured.
    const signer = external ?? { key: config.pusherKey, secret: config.pusherSecret };
    const nowSeconds = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

    // Registered before @fastify/websocket so our close code (1001) goes out before its bare close().
    app.addHook('preClose', async () => {
      await ctx.realtime.stop();
    });
    app.addHook('onClose', async () => {
      await ctx.realtime.close();
    });
    await app.register(websocket, { options: { maxPayload: 256 * 1024, clientTracking: true } });

    app.get(
      '/app/:key',
      {
        websocket: true,
        schema: {
          tags: ['realtime'],
          summary: 'Pusher Channels protocol 7 over WebSocket (for pusher-js)',
          params: Type.Object({ key: Type.String({ maxLength: 200 }) }),
        },
      },
      (socket, req) => {
        hub.accept(socket, (req.params as { key: string }).key, req.query as Record<string, unknown>);
      },
    );

    app.get(
      '/realtime/config',
      {
        config: { access: 'any' },
        schema: {
          tags: ['realtime'],
          summary: 'How to configure pusher-js for this server',
          response: { 200: RealtimeConfig, 401: Problem },
        },
      },
      async (req) => {
        const base = origin(app, req);
        if (external)
          return {
            key: external.key,
            wsHost: external.host,
            wsPort: external.port,
            forceTLS: external.tls,
            authEndpoint: `${base.url}/realtime/auth`,
          };
        return {
          key: config.pusherKey,
          wsHost: base.host,
          wsPort: base.port,
          forceTLS: false,
          authEndpoint: `${base.url}/realtime/auth`,
        };
      },
    );

    app.post(
      '/realtime/auth',
      {
        config: { access: 'any' },
        schema: {
          tags: ['realtime'],
          summary: 'Sign a private channel subscription (Pusher channel authorization)',
          description:
            'Accepts pusher-js’s form-encoded socket_id and channel_name. A user token may sign only private-user.{ownUserId}.bookings; staff, support and admin any private channel. Exactly 200 { auth } on success.',
          body: AuthBody,
          response: { 200: Type.Object({ auth: Type.String() }), ...errors },
        },
      },
      async (req, reply) => {
        const { socket_id: socketId, channel_name: channel } = req.body as {
          socket_id: string;
          channel_name: string;
        };
        if (!SOCKET_ID_RE.test(socketId))
          throw new AppError('validation', `socket_id ${JSON.stringify(socketId)} is not a Pusher socket id`);
        if (!isValidChannelName(channel))
          throw new AppError(
            'validation',
            `channel_name ${JSON.stringify(channel)} is not a valid channel name`,
          );
        const kind = channelKind(channel);
        if (kind === 'unsupported')
          throw new AppError('validation', 'presence and encrypted channels are not offered');
        if (kind === 'public')
          throw new AppError('validation', 'public channels need no authorization; subscribe directly');
        const p = req.principal!;
        if (p.role === 'user') {
          const owner = userOfChannel(channel);
          if (!owner || owner !== p.userId)
            throw new AppError('forbidden', 'a user token may subscribe only to its own bookings channel');
        }
        return reply.code(200).send({ auth: channelAuth(signer.key, signer.secret, socketId, channel) });
      },
    );

    await app.register(async (api) => pusherHttpApi(api, ctx, hub, nowSeconds));
  };

/** The origin clients used to reach us, from the Host header (works behind `--port 0`). */
function origin(app: FastifyInstance, req: FastifyRequest): { url: string; host: string; port: number } {
  const host = req.hostname || '127.0.0.1';
  const listening = (app.server.address() as AddressInfo | null)?.port;
  const port = req.port ?? listening ?? (req.protocol === 'https' ? 443 : 80);
  return { url: `${req.protocol}://${req.host}`, host, port: Number(port) };
}

/**
 * The Pusher HTTP events API (`POST /apps/{appId}/events`, `/batch_events`), signed as
 * Pusher signs it, so the official `pusher` SDK — or another appt process — can publish into
 * this hub. The signature covers the raw body (body_md5), so this scope keeps it.
 */
async function pusherHttpApi(api: FastifyInstance, ctx: AppContext, hub: Hub, nowSeconds: () => number) {
  const raw = new WeakMap<object, string>();
  // Only JSON, parsed from the raw bytes the signature covers (body_md5): a form body would
  // otherwise be parsed by the app's form parser and checked against an empty string (→ 415).
  api.removeAllContentTypeParsers();
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    raw.set(req.raw, text);
    try {
      done(null, text.length > 0 ? JSON.parse(text) : {});
    } catch {
      done(new AppError('validation', 'body is not valid JSON'), undefined);
    }
  });
  const verify = async (req: FastifyRequest) => {
    const { appId } = req.params as { appId: string };
    if (appId !== ctx.config.pusherAppId) throw new AppError('not_found', `no app ${appId}`);
    const failure = verifyApiRequest({
      key: ctx.config.pusherKey,
      secret: ctx.config.pusherSecret,
      method: req.method,
      path: req.url.split('?')[0],
      query: req.query as Record<string, string>,
      rawBody: raw.get(req.raw) ?? '',
      nowSeconds: nowSeconds(),
    });
    if (failure) throw new AppError(failure.code, failure.detail);
    // An exact replay of a signed request (same timestamp, body and signature) is refused:
    // the signature is remembered for longer than its timestamp stays acceptable.
    await rememberSignature(
      ctx.db,
      `pusher:${(req.query as { auth_signature: string }).auth_signature}`,
      ctx.clock.now(),
    );
  };
  const checkChannels = (channels: string[]) => {
    for (const c of channels)
      if (!isValidChannelName(c))
        throw new AppError('validation', `channel ${JSON.stringify(c)} is not valid`);
  };
  const Params = Type.Object({ appId: Type.String({ maxLength: 128 }) });

  api.post(
    '/apps/:appId/events',
    {
      config: { access: 'signed' },
      preValidation: verify,
      schema: {
        tags: ['realtime'],
        summary: 'Pusher HTTP API: trigger an event on channels',
        description: 'Signed with auth_key, auth_timestamp, auth_version, body_md5 and auth_signature.',
        params: Params,
        body: EventBody,
        response: { 200: Type.Object({}), ...errors, 404: Problem },
      },
    },
    async (req) => {
      const b = req.body as {
        name: string;
        data: string;
        channels?: string[];
        channel?: string;
        socket_id?: string;
      };
      const channels = b.channels ?? (b.channel ? [b.channel] : []);
      if (channels.length === 0) throw new AppError('validation', 'give channels or channel');
      checkChannels(channels);
      for (const c of channels) hub.publish(c, b.name, b.data, b.socket_id);
      return {};
    },
  );

  api.post(
    '/apps/:appId/batch_events',
    {
      config: { access: 'signed' },
      preValidation: verify,
      schema: {
        tags: ['realtime'],
        summary: 'Pusher HTTP API: trigger up to 10 events',
        params: Params,
        body: BatchBody,
        response: { 200: Type.Object({}), ...errors, 404: Problem },
      },
    },
    async (req) => {
      const { batch } = req.body as {
        batch: { channel: string; name: string; data: string; socket_id?: string }[];
      };
      checkChannels(batch.map((e) => e.channel));
      for (const e of batch) hub.publish(e.channel, e.name, e.data, e.socket_id);
      return {};
    },
  );
}
