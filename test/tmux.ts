import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small tmux harness for driving the real TUI: a detached session of a fixed size on a
 * private socket (never the user's tmux server), send-keys, capture-pane, wait-for-text.
 */
export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxSession {
  readonly socket: string;
  readonly statusFile: string;
  constructor(
    readonly name: string,
    readonly size: { cols: number; rows: number } = { cols: 100, rows: 30 },
  ) {
    this.socket = `appt-test-${process.pid}-${name}`;
    this.statusFile = join(tmpdir(), `${this.socket}.status`);
  }

  private tmux(args: string[], opts: { allowFail?: boolean } = {}): string {
    try {
      return execFileSync('tmux', ['-L', this.socket, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      if (opts.allowFail) return '';
      throw e;
    }
  }

  /** Starts `argv` in a new detached session; the pane stays after the program exits. */
  start(argv: string[], env: Record<string, string> = {}, cwd = process.cwd()): void {
    const envs = Object.entries({ TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}=${q(v)}`);
    // tmux 3.3 sometimes loses a pane's exit status (#{pane_dead_status} comes back empty),
    // so the shell writes it to a file that dead() reads.
    rmSync(this.statusFile, { force: true });
    // a person's terminal, not CI's: CI and FORCE_COLOR=0 (set by .ci/run for vitest's own output)
    // would turn off every style, inverse selection included
    const cmd = `cd ${q(cwd)} && env -u FORCE_COLOR -u CI ${envs.join(' ')} ${argv.map(q).join(' ')}; echo $? > ${q(this.statusFile)}`;
    this.tmux([
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(this.size.cols),
      '-y',
      String(this.size.rows),
      cmd,
    ]);
    this.tmux(['set-option', '-t', this.name, 'remain-on-exit', 'on']);
  }

  /** tmux key names ('Enter', 'Escape', 'Down', 'Tab') or literal text with literal=true. */
  send(keys: string | string[], literal = false): void {
    const list = Array.isArray(keys) ? keys : [keys];
    this.tmux(['send-keys', '-t', this.name, ...(literal ? ['-l'] : []), ...list]);
  }

  /** Resizes the window, as a user dragging the terminal would (the program gets SIGWINCH). */
  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  capture(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.name], { allowFail: true });
  }

  /** The pane with its escape sequences (colours, inverse), to check what styling is drawn. */
  captureAnsi(): string {
    return this.tmux(['capture-pane', '-e', '-p', '-t', this.name], { allowFail: true });
  }

  /** Whether the program in the pane has exited, and its status. */
  dead(): { dead: boolean; status: number | null } {
    const out = this.tmux(['display-message', '-p', '-t', this.name, '#{pane_dead} #{pane_dead_status}'], {
      allowFail: true,
    }).trim();
    const [d, s] = out.split(' ');
    const dead = d === '1';
    if (dead && existsSync(this.statusFile))
      return { dead, status: Number(readFileSync(this.statusFile, 'utf8').trim()) };
    return { dead, status: s ? Number(s) : null };
  }

  /** Polls capture-pane until `want` matches; returns the screen. Throws with the last screen on timeout. */
  async waitFor(
    want: string | RegExp | ((screen: string) => boolean),
    timeoutMs = 10_000,
    everyMs = 25,
  ): Promise<string> {
    const t0 = Date.now();
    const ok = (s: string) =>
      typeof want === 'string' ? s.includes(want) : want instanceof RegExp ? want.test(s) : want(s);
    let last = '';
    while (Date.now() - t0 < timeoutMs) {
      last = this.capture();
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(want)}; screen:\n${last}`);
  }

  kill(): void {
    this.tmux(['kill-server'], { allowFail: true });
    // tmux can leave its socket file behind; it is ours alone, so remove it
    const dir = join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`);
    rmSync(join(dir, this.socket), { force: true });
  }
}
