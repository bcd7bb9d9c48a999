// The bundled CLI (issue 14, "start-up is module loading"): esbuild turns the tsc output of
// the CLI into one file, dist/bundle/cli.mjs, and the Ink TUI into a second,
// dist/bundle/tui.mjs, which the first loads only when `appt tui` runs. bin/appt uses the
// bundle when it is there (APPT_NO_BUNDLE=1: the tsc output, for comparison). dist/ from tsc
// stays as it is: the server, the tests and the job workers run from there.
//
// How the bundle stays as lazy as the module graph it replaces: without code splitting,
// esbuild turns `await import('./x.js')` of a bundled module into a call of that module's
// init function, so a command's heavy code (the server for `appt serve`, the HTTP client for
// `appt list`) is still only evaluated when the command runs. Packages left outside the
// bundle are the exception: an `import` statement of an external package is hoisted to the
// top of the bundle and would load at every start. So the packages that must stay outside
// (native code, files found by path, optional parts) are imported through a CommonJS shim,
// `module.exports = require('<pkg>')`, which esbuild wraps lazily like any bundled module:
// better-sqlite3 and pg (native / optional pg-native), pino and its transports (worker files
// by path), @fastify/swagger-ui (static files by path), bree (worker threads), ws's
// bufferutil/utf-8-validate and Ink's react-devtools-core (optional).
//
// Project files that find siblings through `import.meta.url` (the job worker, migrations,
// package.json) get the URL of their tsc output instead, relative to the bundle file, so
// they keep finding dist/server/jobs/worker.js and the rest.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

const EXTERNAL = [
  'better-sqlite3',
  'pg',
  'pg-native',
  'pino',
  'pino-pretty',
  'thread-stream',
  '@fastify/swagger-ui',
  'bree',
  'bufferutil',
  'utf-8-validate',
  'react-devtools-core',
];
const external = new RegExp(`^(${EXTERNAL.map((e) => e.replace(/[/.]/g, '\\$&')).join('|')})(/.*)?$`);

/** Bundles `<out>/cli/main.js` (a tsc output tree) into `<out>/bundle/`; false when esbuild is missing. */
export async function bundle(out, root) {
  let esbuild;
  try {
    esbuild = createRequire(join(root, 'package.json'))('esbuild');
  } catch {
    return false;
  }
  const dir = join(out, 'bundle');
  mkdirSync(dir, { recursive: true });
  const tuiApp = join(out, 'cli', 'tui', 'app.js');
  const project = (f) => f.startsWith(out + sep) && !f.includes(`${sep}node_modules${sep}`);
  const server = join(out, 'server') + sep;
  const exitCodes = join(out, 'cli', 'exit-codes.js');
  /** a project module that imports the server with an import statement */
  const importsServer = (f) =>
    existsSync(f) && /^import [^;]*from '(\.\.\/)+server\//m.test(readFileSync(f, 'utf8'));
  const toDist = (target) => ({
    path: `./${relative(dir, target).split(sep).join('/')}`.replace(/^\.\/\.\.\//, '../'),
    external: true,
  });
  const plugin = (tuiOutside) => ({
    name: 'appt-bundle',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (a) => {
        const target = join(dirname(a.importer), a.path);
        if (!project(a.importer)) return undefined;
        // the server, and the commands that import it, run from dist/ when they run
        if (target.startsWith(server)) {
          if (a.kind !== 'dynamic-import') throw new Error(`${a.importer} imports ${a.path} statically`);
          return toDist(target);
        }
        if (importsServer(target)) {
          if (a.kind !== 'dynamic-import') throw new Error(`${a.importer} imports ${a.path} statically`);
          return toDist(target);
        }
        // one CliError class on both sides, so main's instanceof holds for the commands above
        if (target === exitCodes) return toDist(target);
        return undefined;
      });
      b.onResolve({ filter: external }, (a) => {
        // require() calls are lazy already; imports go through the shim (see above)
        if (a.kind === 'require-call' || a.kind === 'dynamic-import') return { path: a.path, external: true };
        return { path: a.path, namespace: 'lazy-cjs' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-cjs' }, (a) => ({
        contents: `module.exports = require(${JSON.stringify(a.path)});`,
        loader: 'js',
        resolveDir: root,
      }));
      if (tuiOutside)
        b.onResolve({ filter: /\/app\.js$/ }, (a) =>
          join(dirname(a.importer), a.path) === tuiApp ? { path: './tui.mjs', external: true } : undefined,
        );
      b.onLoad({ filter: /\.js$/ }, (a) => {
        if (!project(a.path)) return undefined;
        const src = readFileSync(a.path, 'utf8');
        if (!src.includes('import.meta.url')) return undefined;
        const rel = relative(dir, a.path).split(sep).join('/');
        return {
          contents: src.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
          ),
          loader: 'js',
        };
      });
    },
  });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    minify: process.env.APPT_BUNDLE_MINIFY === '1',
    logLevel: 'warning',
    // CommonJS inside an ES module bundle still calls require(): give it the real one
    banner: {
      js: "import { createRequire as __apptRequire } from 'node:module'; const require = __apptRequire(import.meta.url);",
    },
    metafile: true,
  };
  const cli = await esbuild.build({
    ...common,
    entryPoints: [join(out, 'cli', 'main.js')],
    outfile: join(dir, 'cli.mjs'),
    plugins: [plugin(true)],
  });
  // no NODE_ENV define: runTui sets NODE_ENV before React loads, as in the tsc output
  const tui = await esbuild.build({
    ...common,
    entryPoints: [tuiApp],
    outfile: join(dir, 'tui.mjs'),
    plugins: [plugin(false)],
  });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ cli: cli.metafile, tui: tui.metafile }));
  return existsSync(join(dir, 'cli.mjs')) && existsSync(join(dir, 'tui.mjs'));
}
