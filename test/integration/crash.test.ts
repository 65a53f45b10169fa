// The crash test: the `warren` process is SIGKILLed at a random moment while several publishers
// send persistent messages on confirm channels, restarted on the same data dir, and the queue is
// read back. Proves the key storage guarantee: every message whose publisher confirm (basic.ack)
// reached the client before the kill is there after the restart; also that nothing recovered is
// corrupt or was never published, that each publisher's messages keep their order, and that a
// message comes back twice only as a redelivery. Each cycle deletes its queue, and the next
// cycle checks that this deletion survived its own crash.
//
// CYCLES cycles on one data dir (the store keeps growing and being reclaimed across crashes).
// The kill delays come from a seeded PRNG: a failure names its seed, and CRASH_SEED=<seed>
// replays the same delays. For long runs use `node scripts/soak-crash.mjs --cycles 200`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CrashCycleReport, crashCycle, sandbox, seededRandom } from '../helpers/warren-process.js';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Load per cycle: 4 publisher connections, 1 KB persistent messages, capped so a cycle stays short. */
const LOAD = { publishers: 4, bodySize: 1024, window: 64, maxPerPublisher: 3000, killDelayMs: [50, 400] as const };

const summary = (i: number, r: CrashCycleReport): string =>
  `cycle ${i + 1}: killed after ${r.killDelayMs} ms, published ${r.published}, confirmed ${r.confirmed}` +
  `${r.nacked ? `, nacked ${r.nacked}` : ''}, recovered ${r.recovered} (${r.unconfirmedRecovered} unconfirmed` +
  `${r.duplicates ? `, ${r.duplicates} duplicates` : ''}), restart ${r.restartMs} ms`;

test(`every confirmed message survives kill -9 under load (${CYCLES} random crashes)`, { timeout: 120_000 }, async (t) => {
  const sb = sandbox(t);
  const random = seededRandom(SEED);
  t.diagnostic(`seed ${SEED} (CRASH_SEED=${SEED} replays the kill delays)`);
  let broker = await sb.start();
  let previousQueue: string | undefined;
  let confirmedTotal = 0;
  for (let i = 0; i < CYCLES; i++) {
    const { broker: next, report } = await crashCycle(broker, { ...LOAD, random }, previousQueue);
    broker = next;
    previousQueue = report.queue;
    confirmedTotal += report.confirmed;
    t.diagnostic(summary(i, report));
    assert.deepEqual(report.problems, [], `${summary(i, report)}, seed ${SEED}:\n  ${report.problems.join('\n  ')}\n${broker.output(20)}`);
  }
  // the load really was confirmed load (not a run where every kill came before the first confirm)
  assert.ok(confirmedTotal > 0, 'some messages were confirmed over all cycles');
  // after all those crashes the broker still stops cleanly
  await broker.stop();
});
