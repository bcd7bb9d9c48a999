import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

export interface LoginFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdLogin(makeFactory(io, program)));
}

/** `appt login`: parsing only; the run is runLogin (or a test's runF). */
export function newCmdLogin(
  f: Factory,
  runF: (o: LoginFlags) => Promise<void> = (o) => runLogin(f, o),
): Command {
  return f
    .createCommand('login')
    .description('Check a token against the server (GET /me) and save the login in the CLI config')
    .requiredOption('--server <url>', 'server URL, e.g. http://127.0.0.1:7400')
    .requiredOption('--token <token>', 'API token (staff, admin, support or a customer token)')
    .option('--json', 'print {"server","me":{tokenId,name,role,userId?},"config"} on stdout')
    .addHelpText(
      'after',
      `
The config file (mode 0600) lives in $APPT_HOME (default ~/.config/appt).
APPT_SERVER and APPT_TOKEN override the saved login for one command.

Examples:
  appt login --server http://127.0.0.1:7400 --token "$(cat data/admin.token)"
  appt login --server https://desk.example.com --token T --json`,
    )
    .action(async (o: LoginFlags) => runF(o));
}

export async function runLogin(f: Factory, o: LoginFlags): Promise<void> {
  const { io } = f;
  const { ApiClient, ApiError, OfflineError } = await import('../../shared/client.js');
  const server = String(o.server).replace(/\/+$/, '');
  let client: InstanceType<typeof ApiClient>;
  try {
    client = new ApiClient({ baseUrl: server, token: o.token, channel: 'cli', oneShot: true });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  try {
    const me = await client.me();
    const store = await f.config();
    await store.saveLogin(server, String(o.token), me);
    if (o.json) io.out(`${JSON.stringify({ server, me, config: store.path })}\n`);
    else
      io.out(`logged in to ${server} as ${me.name} (${me.role}${me.userId ? `, user ${me.userId}` : ''})\n`);
    io.err(`saved in ${store.path}\n`);
  } catch (e) {
    if (e instanceof ApiError)
      throw new CliError(
        `token refused by ${server}: ${e.code}`,
        e.status === 401 || e.status === 403 ? EXIT.auth : EXIT.failed,
      );
    if (e instanceof OfflineError) throw new CliError(`cannot reach ${server}; nothing saved`, EXIT.failed);
    throw e;
  } finally {
    await client.close();
  }
}
