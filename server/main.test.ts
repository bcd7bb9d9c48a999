import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createContext } from './context.js';
import { isEmpty } from './demo/seed.js';
import { dataDirSecrets, startServer } from './main.js';

let dir: string | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('startServer', () => {
  it('binds the port before the demo seed and the jobs: a taken port fails at once, nothing seeded', async () => {
    dir = mkdtempSync(join(tmpdir(), 'appt-start-'));
    blocker = createServer();
    const port = await new Promise<number>((r) =>
      blocker!.listen({ host: '127.0.0.1', port: 0 }, () => r((blocker!.address() as { port: number }).port)),
    );
    const config = loadConfig(
      { dataDir: dir, port, host: '127.0.0.1', demo: true, jobs: true, logLevel: 'silent' },
      {},
      dataDirSecrets,
    );
    const ctx = await createContext(config);
    const t0 = Date.now();
    await expect(startServer({ ctx })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(Date.now() - t0).toBeLessThan(3_000);
    // the seed (2,000 appointments) never ran: the failure came first
    expect(await isEmpty(ctx)).toBe(true);
    await ctx.db.close();
  });

  it('answers once started (seed and jobs in place), on a free port', async () => {
    dir = mkdtempSync(join(tmpdir(), 'appt-start-'));
    const srv = await startServer({
      flags: { dataDir: dir, port: 0, host: '127.0.0.1', jobs: false, logLevel: 'silent' },
      env: {},
    });
    try {
      const r = await fetch(`${srv.url}/healthz`);
      expect(r.status).toBe(200);
      const p = await fetch(`${srv.url}/providers`, {
        headers: { authorization: 'Bearer nope' },
      });
      // past the start-up gate: the auth layer answers, not the 503 "starting"
      expect(p.status).toBe(401);
    } finally {
      await srv.close();
    }
  });
});
