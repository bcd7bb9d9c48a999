/** Command line of the soak: `npm run soak -- --duration <s> --kills <n> [--clients <n>] …`. */

export interface SoakOptions {
  duration: number;
  kills: number;
  clients: number;
  providers: number;
  /** another build's bin/appt (e.g. a deliberately broken worktree) */
  bin?: string;
  dataDir?: string;
  keep: boolean;
  /** seconds after the run to keep retrying unanswered keyed requests */
  drain: number;
  /** seconds to wait for the outbox to drain */
  outboxWait: number;
  requireOutbox: boolean;
  ttl: number;
  think: [number, number];
  subscribers: number;
  rateLimitUser?: number;
  /** run the server on PostgreSQL (a database of its own: the soak writes into it) */
  databaseUrl?: string;
  /** appt serve --workers N (PostgreSQL) */
  workers?: number;
  /** --help: print USAGE and exit */
  help?: boolean;
  log?: (line: string) => void;
}

export const USAGE = `usage: npm run soak -- --duration <seconds> --kills <n> [options]
  --clients <n>        simulated clients (default 50, at most 500; one in ten is staff)
  --providers <n>      providers, each with a 30- and a 60-minute service (default 6)
  --bin <path>         bin/appt of the build under test (default: this checkout)
  --data-dir <dir>     data directory (default: a fresh temporary one, removed afterwards)
  --keep               keep the temporary data directory
  --drain <seconds>    keep retrying unanswered keyed requests this long after the run (default 75)
  --outbox-wait <s>    wait this long for every outbox event to be delivered (default 60)
  --require-outbox     fail when the outbox is not drained even if no dispatcher was seen
  --ttl <seconds>      reservation TTL of the server (default 20)
  --think <ms>-<ms>    pause between a client's actions (default 200-1200)
  --subscribers <n>    pusher-js subscribers (default 5)
  --rate-limit-user <n>  APPT_RATE_LIMIT_USER for the server (default: server default)
  --database-url <url> run the server on this PostgreSQL database (give it an empty one)
  --workers <n>        appt serve --workers <n> (PostgreSQL only); kills hit random workers and the whole server
`;

function num(v: string | undefined, name: string, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be a number from ${min} to ${max}, got ${v}`);
  return n;
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = {
    duration: 60,
    kills: 2,
    clients: 50,
    providers: 6,
    keep: false,
    drain: 75,
    outboxWait: 60,
    requireOutbox: false,
    ttl: 20,
    think: [200, 1200],
    subscribers: 5,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    switch (a) {
      case '--duration':
        o.duration = num(v, 'duration', 1, 7200);
        i++;
        break;
      case '--kills':
        o.kills = num(v, 'kills', 0, 200);
        i++;
        break;
      case '--clients':
        o.clients = num(v, 'clients', 1, 500);
        i++;
        break;
      case '--providers':
        o.providers = num(v, 'providers', 1, 50);
        i++;
        break;
      case '--bin':
        if (!v) throw new Error('--bin needs a path');
        o.bin = v;
        i++;
        break;
      case '--data-dir':
        if (!v) throw new Error('--data-dir needs a path');
        o.dataDir = v;
        i++;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--drain':
        o.drain = num(v, 'drain', 0, 600);
        i++;
        break;
      case '--outbox-wait':
        o.outboxWait = num(v, 'outbox-wait', 0, 600);
        i++;
        break;
      case '--require-outbox':
        o.requireOutbox = true;
        break;
      case '--ttl':
        o.ttl = num(v, 'ttl', 1, 120);
        i++;
        break;
      case '--think': {
        const m = /^(\d+)-(\d+)$/.exec(v ?? '');
        if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--think must look like 200-1200, got ${v}`);
        o.think = [Number(m[1]), Number(m[2])];
        i++;
        break;
      }
      case '--subscribers':
        o.subscribers = num(v, 'subscribers', 0, 100);
        i++;
        break;
      case '--rate-limit-user':
        o.rateLimitUser = num(v, 'rate-limit-user', 0, 1_000_000);
        i++;
        break;
      case '--database-url':
        if (!v || !/^postgres(ql)?:\/\//.test(v)) throw new Error('--database-url needs a postgres:// URL');
        o.databaseUrl = v;
        i++;
        break;
      case '--workers':
        o.workers = num(v, 'workers', 1, 16);
        i++;
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}
