import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';
import { bookMany, tempHome } from './cli-helpers.js';

// The README's CLI examples run as written: each line of the `appt` block is run by bash in
// a directory whose ./data is a live server's data directory, with `appt` on the PATH as
// the README's install step puts it. Placeholders (<id>, <p>, …) become real ids; the
// server URL becomes the test server's. Lines that ask ("asks") or need a terminal (tui)
// end with exit 2 without one, as documented; `watch` runs until it is stopped.

const work = mkdtempSync(join(tmpdir(), 'appt-readme-'));
let srv: ServerProcess;
beforeAll(async () => {
  mkdirSync(join(work, 'data'));
  srv = await startServerProcess({ dataDir: join(work, 'data'), args: ['--port', '0'] });
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  rmSync(work, { recursive: true, force: true });
});

function readmeLines(): string[] {
  const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = md.slice(md.indexOf('## The `appt` command'), md.indexOf('## The terminal UI'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks[0]).toMatch(/export PATH="\$PWD\/bin:\$PATH"/);
  return blocks[1]!.split('\n').filter((l) => l.trim());
}

describe('README CLI examples', () => {
  it('every example line runs as written', { timeout: 300_000 }, async () => {
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const [a, b] = await bookMany(
      srv.url,
      cat.staff,
      { providerId: cat.providerId, serviceId: cat.s30, userId: cat.userId },
      2,
      3,
    );
    writeFileSync(
      join(work, 'plan.csv'),
      `appointmentId,action,to,reason\n${b!.id},reschedule,next-available,customer asked\n`,
    );
    const env = {
      ...process.env,
      PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`,
      APPT_HOME: tempHome(),
      NO_COLOR: '1',
      APPT_SERVER: undefined,
      APPT_TOKEN: undefined,
    };
    const lines = readmeLines();
    expect(lines.length).toBeGreaterThan(15);
    for (const raw of lines) {
      const line = raw
        .replaceAll('http://127.0.0.1:7400', srv.url)
        .replaceAll('<userId>', cat.userId)
        .replaceAll('<id>', a!.id)
        .replaceAll('<p>', cat.providerId)
        .replaceAll('<s>', cat.s30);
      const watch = /^appt watch/.test(line);
      const r = await execa('bash', ['-c', line], {
        cwd: work,
        env,
        reject: false,
        timeout: watch ? 4000 : 60_000,
      });
      const expected = /# .*asks/.test(raw) || /^appt tui/.test(raw) ? 2 : 0;
      if (watch) {
        expect(r.timedOut, `${raw}\n${r.stderr}`).toBe(true);
        expect(String(r.stderr)).toMatch(/realtime: connected|watching/);
      } else expect(r.exitCode, `${raw}\n${r.stderr}`).toBe(expected);
    }
  });
});
