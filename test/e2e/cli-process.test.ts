import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  api,
  backendEnv,
  dropBackend,
  type ServerProcess,
  seedCatalog,
  startServerProcess,
} from '../server-process.js';
import { APPT, appt, json, tempHome } from './cli-helpers.js';

// What a process loads and how `appt demo` behaves without a terminal.

const work = mkdtempSync(join(tmpdir(), 'appt-proc-'));
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await dropBackend(join(work, 'demo'));
});

/** Runs appt with a preload that writes every CommonJS module it loaded (ink pulls react, the server fastify). */
async function loaded(args: string[], env: Record<string, string> = {}) {
  const out = join(work, `mods-${Math.random()}.json`);
  const hook = join(work, 'hook.cjs');
  writeFileSync(
    hook,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  const r = await execa(process.execPath, ['--require', hook, APPT, ...args], {
    reject: false,
    env: { NO_COLOR: '1', ...env },
  });
  return { r, mods: JSON.parse(readFileSync(out, 'utf8')) as string[] };
}
const has = (mods: string[], pkg: string) => mods.some((m) => m.includes(`/node_modules/${pkg}/`));

describe('cold start', () => {
  let srv: ServerProcess | undefined;
  afterAll(async () => {
    await srv?.stop();
    await srv?.cleanup();
  });

  it('appt --version loads neither undici, the server, ink/react nor luxon', async () => {
    const { r, mods } = await loaded(['--version']);
    expect(r.exitCode).toBe(0);
    for (const heavy of ['undici', 'fastify', 'react', 'better-sqlite3', 'luxon', 'conf', 'ajv', 'pino'])
      expect(has(mods, heavy), heavy).toBe(false);
  });

  it('appt list --json speaks node:http and loads neither undici nor the server, ink/react or conf', async () => {
    srv = await startServerProcess();
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const { r, mods } = await loaded(['list', '--json'], {
      APPT_HOME: tempHome(),
      APPT_SERVER: srv.url,
      APPT_TOKEN: cat.staff,
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    // one-shot commands use Node's own HTTP client (shared/one-shot-http.ts)
    for (const heavy of ['undici', 'fastify', 'react', 'better-sqlite3', 'conf', 'ajv', 'pino', 'luxon'])
      expect(has(mods, heavy), heavy).toBe(false);
  });
});

describe('appt demo without a terminal', () => {
  it('serves the demo database, logs to server.log, saves a staff login other terminals use', async () => {
    const dataDir = join(work, 'demo');
    const home = tempHome();
    // the PostgreSQL run: the demo on a database of its own, kept for the second start
    const env = { NO_COLOR: '1', APPT_HOME: home, ...(await backendEnv(dataDir)) };
    const child = execa(process.execPath, [APPT, 'demo', '--port', '0', '--data-dir', dataDir, '--json'], {
      env,
      reject: false,
      buffer: false,
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const first = await new Promise<string>((resolve, reject) => {
      // seeding ~2,000 bookings: ~12 s on SQLite, ~30 s on PostgreSQL (a round trip per statement)
      const t = setTimeout(() => reject(new Error(`demo did not start: ${err}`)), 150_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(t);
          resolve(out.split('\n')[0]);
        }
      });
    });
    try {
      const info = json(first);
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.log).toBe(join(dataDir, 'server.log'));
      // another terminal: the saved staff login works
      const list = await appt(['list', '--json', '--search', 'a', '--limit', '5'], { APPT_HOME: home });
      expect(list.exitCode, list.stderr).toBe(0);
      expect(json(list.stdout).items).toHaveLength(5);
      const me = await api(
        info.url,
        json(readFileSync(join(home, 'config.json'), 'utf8')).token,
        'GET',
        '/me',
      );
      expect(me.json.role).toBe('staff');
      // logs went to the file, never to the screen
      expect(err).not.toMatch(/"level":/);
      expect(err).toMatch(/demo data: \d+ providers, \d+ customers, \d+ appointments/);
      await new Promise((r) => setTimeout(r, 300));
      expect(existsSync(info.log)).toBe(true);
      expect(readFileSync(info.log, 'utf8')).toMatch(/"level":/);
    } finally {
      child.kill('SIGTERM');
      await child;
    }
    // a second start reuses the database and the saved login
    const again = execa(process.execPath, [APPT, 'demo', '--port', '0', '--data-dir', dataDir], {
      env,
      reject: false,
      buffer: false,
    });
    const url = await new Promise<string>((resolve, reject) => {
      let o = '';
      const t = setTimeout(() => reject(new Error('second demo did not start')), 60_000);
      again.stdout!.on('data', (d: Buffer) => {
        o += d.toString();
        if (o.includes('\n')) {
          clearTimeout(t);
          resolve(o.trim());
        }
      });
    });
    try {
      expect(url).toMatch(/^http:\/\//);
      expect((await appt(['list', '--json'], { APPT_HOME: home })).exitCode).toBe(0);
    } finally {
      again.kill('SIGTERM');
      await again;
    }
  }, 180_000);

  it('refuses a bad port with exit 2', async () => {
    const r = await appt(['demo', '--port', 'abc', '--data-dir', join(work, 'bad')], {
      APPT_HOME: tempHome(),
    });
    expect(r.exitCode).toBe(2);
  });
});
