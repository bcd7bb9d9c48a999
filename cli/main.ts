import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './exit-codes.js';
import { type IO, processIO } from './io.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerWatch } from './commands/watch.js';
import { register as registerStats } from './commands/stats.js';
import { register as registerLogin } from './commands/login.js';
import { register as registerList } from './commands/list.js';
import { register as registerShow } from './commands/show.js';
import { register as registerAvailability } from './commands/availability.js';
import { register as registerReschedule } from './commands/reschedule.js';
import { register as registerCancel } from './commands/cancel.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerExport } from './commands/export.js';
import { register as registerQueue } from './commands/queue.js';
import { register as registerBulk } from './commands/bulk.js';
import { register as registerAdmin } from './commands/admin.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerTui } from './commands/tui.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerConfirm } from './commands/confirm.js';
import { register as registerComplete } from './commands/complete.js';
import { register as registerNoShow } from './commands/no-show.js';
import { register as registerAttention } from './commands/attention.js';

/**
 * The `appt` program. Each command lives in cli/commands/<name>.ts and registers itself;
 * command modules import heavy code (server, ink, HTTP client) lazily inside their action,
 * so `appt --version` loads none of it.
 */
/** package.json: two levels up from dist/cli/main.js, one from cli/main.ts (tests). */
function readPackage(): { version: string } {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string };
    } catch {
      // try the next location
    }
  }
  return { version: '0.0.0' };
}

export function buildProgram(io: IO): Command {
  const pkg = readPackage();
  // commander is loaded here, not at import time, so `appt --version` can skip it (cold start)
  const { Command: CommandClass } = createRequire(import.meta.url)('commander') as typeof import('commander');
  const program = new CommandClass('appt')
    .description('appt — an appointment desk for the terminal')
    .version(pkg.version, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Every command takes --json (stable shapes, see its --help); data goes to stdout, status to stderr.
Exit codes: 0 ok, 1 failed, 2 usage, 3 conflict, 4 auth, 5 queued offline (not confirmed).

Examples:
  appt login --server http://127.0.0.1:7400 --token T
  appt list --date today
  appt reschedule <id> --next-available --yes
  appt bulk cancel --file plan.csv --dry-run`,
    );
  registerServe(program, io);
  registerWatch(program, io);
  registerStats(program, io);
  registerLogin(program, io);
  registerList(program, io);
  registerShow(program, io);
  registerAvailability(program, io);
  registerReschedule(program, io);
  registerCancel(program, io);
  registerConfirm(program, io);
  registerComplete(program, io);
  registerNoShow(program, io);
  registerAttention(program, io);
  registerAudit(program, io);
  registerExport(program, io);
  registerQueue(program, io);
  registerBulk(program, io);
  registerAdmin(program, io);
  registerDemo(program, io);
  registerTui(program, io);
  registerMigrate(program, io);
  return program;
}

export async function run(argv: string[], io: IO = processIO(), onExitNow?: () => void): Promise<number> {
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    io.out(`${readPackage().version}\n`);
    return EXIT.ok;
  }
  const program = buildProgram(io);
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    code = handleError(e, io, wantsJson(argv));
    if (e instanceof CliError && e.exitImmediately) onExitNow?.();
  }
  if (code !== EXIT.ok || io === undefined) process.exitCode = code;
  return code;
}

/** The process entry (bin/appt): like `run`, and ends at once when a failure asks for it. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const io = processIO();
  let exitNow = false;
  const code = await run(argv, io, () => {
    exitNow = true;
  });
  if (exitNow) process.exit(code);
}

function isCommanderError(e: unknown): e is CommanderError {
  // by shape: commander is loaded lazily, so no instanceof here
  return e instanceof Error && String((e as Partial<CommanderError>).code ?? '').startsWith('commander.');
}

/** `--json` anywhere before `--`: the failure is printed as one JSON document too. */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * The one place that decides how a failure is printed and which exit code it gets (as gh
 * does): the reason on stderr (`appt: …`), and with --json exactly one JSON document on
 * stdout — the command's own when it already printed one (results, a queued intent), else
 * `{ "error": { code, status, detail, exitCode, … } }`.
 */
export function handleError(e: unknown, io: IO, json = false): number {
  let code: number;
  let body: unknown;
  if (isCommanderError(e)) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      return EXIT.ok;
    // commander already printed its one-line reason; its own exit code is overridden
    code = EXIT.usage;
    body = { error: { code: 'usage', status: 0, detail: e.message.replace(/^error: /, ''), exitCode: code } };
  } else if (e instanceof CliError) {
    io.err(`appt: ${e.message}\n`);
    code = e.exitCode;
    if (e.jsonPrinted) return code;
    body = e.jsonBody ?? {
      error: { code: code === EXIT.usage ? 'usage' : 'cli', status: 0, detail: e.message, exitCode: code },
    };
    const b = body as { error?: Record<string, unknown> };
    if (b.error && b.error.exitCode === undefined) b.error.exitCode = code;
  } else {
    const message = (e as Error)?.message ?? String(e);
    io.err(`appt: ${message}\n`);
    code = EXIT.failed;
    body = { error: { code: 'internal', status: 0, detail: message, exitCode: code } };
  }
  if (json) io.out(`${JSON.stringify(body)}\n`);
  return code;
}
