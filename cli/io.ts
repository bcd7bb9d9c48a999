import { isatty } from 'node:tty';
/**
 * All command output goes through an IO object: stdout is data, stderr is status.
 * Tests pass a buffer IO and read what a command wrote.
 */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** true when stdout / stderr are terminals (colours, progress bars, prompts) */
  isTTY: boolean;
  isErrTTY: boolean;
  stdinTTY: boolean;
  columns: number;
  color: boolean;
  env: NodeJS.ProcessEnv;
  /** reads one line from the user (only when stdinTTY) */
  prompt(question: string): Promise<string>;
}

export function processIO(): IO {
  const env = process.env;
  // `appt … | head` closes the pipe early: that is the reader's choice, not a failure.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTTY,
    isErrTTY: Boolean(process.stderr.isTTY),
    // isatty(0) instead of process.stdin.isTTY: touching process.stdin builds a stream (cold start)
    stdinTTY: isatty(0),
    // piped output has no width: COLUMNS (as shells export it) or 100
    columns: process.stdout.columns ?? (Number(env.COLUMNS) || 100),
    color: isTTY && !env.NO_COLOR && env.TERM !== 'dumb',
    env,
    async prompt(question) {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

export interface BufferIO extends IO {
  stdout: string;
  stderr: string;
}

export function bufferIO(opts: Partial<IO> & { answers?: string[] } = {}): BufferIO {
  const io: BufferIO = {
    stdout: '',
    stderr: '',
    out(t) {
      io.stdout += t;
    },
    err(t) {
      io.stderr += t;
    },
    isTTY: false,
    isErrTTY: false,
    stdinTTY: false,
    columns: 100,
    color: false,
    env: {},
    async prompt(q) {
      io.stderr += q;
      return opts.answers?.shift() ?? '';
    },
    ...opts,
  };
  return io;
}
