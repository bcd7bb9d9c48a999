import { readFileSync } from 'node:fs';
import { type Proc, sleep, startAppt } from '../bench/common.js';

/**
 * The server under test as a child process that the harness kills with SIGKILL and starts
 * again on the same data directory and port. Clients read `url` on every request, so after
 * a restart they simply reconnect.
 */
export class Supervised {
  private proc: (Proc & { adminToken: string }) | null = null;
  port = 0;
  adminToken = '';

  constructor(readonly o: { bin?: string; dataDir: string; env: Record<string, string>; args: string[] }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.proc !== null;
  }

  async start(): Promise<void> {
    let lastErr: unknown;
    // The same port after a kill; the socket is free at once after SIGKILL, but retry a
    // few times in case the kernel is slow to let go of it.
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const p = await startAppt({
          dataDir: this.o.dataDir,
          port: this.port,
          env: this.o.env,
          args: this.o.args,
          ...(this.o.bin ? { bin: this.o.bin } : {}),
        });
        this.proc = p;
        this.port = p.port;
        this.adminToken = p.adminToken;
        return;
      } catch (err) {
        lastErr = err;
        await sleep(300);
      }
    }
    throw lastErr;
  }

  /**
   * With `--workers`: SIGKILL one worker process (a child of the server) at random; the
   * server's primary replaces it. Returns its pid, or null when there is none to kill.
   */
  killWorker(): number | null {
    const pid = this.proc?.child.pid;
    if (!pid) return null;
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return null;
    }
    if (kids.length === 0) return null;
    const victim = kids[Math.floor(Math.random() * kids.length)]!;
    try {
      process.kill(victim, 'SIGKILL');
      return victim;
    } catch {
      return null;
    }
  }

  /** SIGKILL: no shutdown hooks, no flush; whatever was acknowledged must already be on disk. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p) await p.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p) await p.stop('SIGTERM');
  }
}
