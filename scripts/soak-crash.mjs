#!/usr/bin/env node
// Crash soak (not part of the test suite): the crash loop of test/integration/crash.test.ts, for
// as many cycles as asked. Each cycle declares a durable queue, runs several publishers on confirm
// channels sending persistent messages, SIGKILLs the `warren` process a random moment after the
// load started, restarts it on the same data dir and reads the queue back: every message whose
// confirm arrived must be there (see crashCycle in test/helpers/warren-process.ts for all checks).
//
//   npm run build && node scripts/soak-crash.mjs --cycles 200
//
// Options: --cycles N (default 200), --seed S (replays a run's kill delays), --publishers P (4),
// --body-size BYTES (1024), --window N unconfirmed per publisher (64), --max-per-publisher N
// (20000), --kill-min MS / --kill-max MS (50 / 400), --quiet (only failures and the summary).
//
// Prints one line per cycle (confirmed / recovered counts). Stops at the first cycle that breaks a
// guarantee, keeps its data dir for inspection, prints the broker's log tail and exits 1; exits 0
// when every cycle passed.
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register(); // the crash loop lives in the TypeScript test helpers
const { Sandbox, crashCycle, makeTempDir, removeDir, seededRandom } = await import('../test/helpers/warren-process.ts');

function usage(reason) {
  process.stderr.write(`Error: ${reason}\nusage: node scripts/soak-crash.mjs [--cycles N] [--seed S] [--publishers P] [--body-size B] [--window N] [--max-per-publisher N] [--kill-min MS] [--kill-max MS] [--quiet]\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      cycles: { type: 'string', default: '200' },
      seed: { type: 'string' },
      publishers: { type: 'string', default: '4' },
      'body-size': { type: 'string', default: '1024' },
      window: { type: 'string', default: '64' },
      'max-per-publisher': { type: 'string', default: '20000' },
      'kill-min': { type: 'string', default: '50' },
      'kill-max': { type: 'string', default: '400' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  }));
} catch (e) {
  usage(e.message);
}
const int = (name) => {
  const v = values[name];
  if (!/^\d+$/.test(v)) usage(`--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
};
const cycles = int('cycles');
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int('seed');
const load = {
  publishers: int('publishers'),
  bodySize: int('body-size'),
  window: int('window'),
  maxPerPublisher: int('max-per-publisher'),
  killDelayMs: [int('kill-min'), int('kill-max')],
  random: seededRandom(seed),
};
if (load.publishers < 1 || load.bodySize < 32 || load.window < 1) usage('need --publishers ≥ 1, --body-size ≥ 32, --window ≥ 1');
if (load.killDelayMs[0] > load.killDelayMs[1]) usage('--kill-min must not exceed --kill-max');

// The sandbox owns the broker processes; the data dir is ours, so a failing run can keep it.
const sandbox = new Sandbox();
const dataDir = makeTempDir('warren-soak-');
/** Kills any broker still running, removes the data dir unless `keep`, and exits. */
async function exit(code, keep = false) {
  await sandbox.cleanup().catch(() => {});
  if (keep) console.log(`data dir kept at ${dataDir}`);
  else removeDir(dataDir);
  process.exit(code);
}
process.on('SIGINT', () => {
  console.log('\ninterrupted');
  void exit(130);
});

const started = Date.now();
const totals = { published: 0, confirmed: 0, recovered: 0, unconfirmedRecovered: 0, duplicates: 0 };
console.log(`soak-crash: ${cycles} cycles, seed ${seed}, ${load.publishers} publishers × window ${load.window}, ${load.bodySize} B persistent messages, kill after ${load.killDelayMs[0]}–${load.killDelayMs[1]} ms`);

let broker;
let previousQueue;
try {
  broker = await sandbox.start(dataDir);
  for (let i = 1; i <= cycles; i++) {
    const { broker: next, report: r } = await crashCycle(broker, load, previousQueue);
    broker = next;
    previousQueue = r.queue;
    for (const k of Object.keys(totals)) totals[k] += r[k];
    const line =
      `cycle ${i}/${cycles}: killed after ${r.killDelayMs} ms: published ${r.published}, confirmed ${r.confirmed}` +
      `${r.nacked ? `, nacked ${r.nacked}` : ''}, recovered ${r.recovered} (${r.unconfirmedRecovered} unconfirmed, ` +
      `${r.duplicates} duplicates), restart ${r.restartMs} ms: ${r.problems.length ? 'FAILED' : 'ok'}`;
    if (!values.quiet || r.problems.length) console.log(line);
    if (r.problems.length) {
      for (const p of r.problems) console.log(`  ${p}`);
      console.log(broker.output(30));
      console.log(`FAIL: cycle ${i} lost or damaged confirmed messages (seed ${seed})`);
      await exit(1, true);
    }
  }
  await broker.stop();
} catch (err) {
  console.log(`FAIL: ${err instanceof Error ? err.message : String(err)} (seed ${seed})`);
  await exit(1, true);
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `OK: ${cycles} cycles in ${secs} s: published ${totals.published}, confirmed ${totals.confirmed}, recovered ${totals.recovered} ` +
    `(${totals.unconfirmedRecovered} unconfirmed, ${totals.duplicates} duplicates); no confirmed message lost`,
);
await exit(0);
