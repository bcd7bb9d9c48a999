import { createPgTemplate, dropPgRun } from '../server/testing/pg.js';

// The PostgreSQL run (vitest.pg.config.ts): one migrated template database per run, which
// every harness and test server process clones; at the end the template and whatever the
// run's tests left behind are dropped.
export default async function setup(): Promise<() => Promise<void>> {
  const template = process.env.APPT_TEST_PG_TEMPLATE!;
  const run = process.env.APPT_TEST_PG_RUN!;
  const t0 = Date.now();
  await createPgTemplate(template);
  console.log(`PostgreSQL run: template ${template} migrated in ${Date.now() - t0} ms`);
  return () => dropPgRun(template, run);
}
