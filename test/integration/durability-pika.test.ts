// The seeds' durable example with the real Python client (pika 1.2), across a broker restart:
// durable_restart_publish.py declares queue_declare('task_queue', durable=True) and publishes
// with pika.BasicProperties(delivery_mode=2); the `warren` process is then restarted on the
// same data dir, gracefully (SIGTERM) or with kill -9; durable_restart_consume.py, pointed at the
// restarted broker, consumes with manual ack and must get every message, in order.
// The kill -9 variant publishes with confirms (channel.confirm_delivery()), since only a confirm
// says a message is safe from a crash; the graceful one publishes exactly as the seeds do.
//
// Needs Debian's python3-pika (1.2) for /usr/bin/python3. Without it the tests are skipped
// locally, but fail under CI (which installs it) - as in pika.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '../helpers/broker.js';
import { describeResult, pikaProblem, runPikaScript, SCRIPT_TIMEOUT_MS } from '../helpers/pika.js';
import { type RestartMode, sandbox } from '../helpers/warren-process.js';

/** Messages the publisher sends (the seeds send one per run; several show the order is kept). */
const COUNT = 20;

const VARIANTS: ReadonlyArray<readonly [RestartMode, string, boolean]> = [
  ['graceful', 'a graceful restart (SIGTERM)', false],
  ['kill', 'kill -9 and restart (publishing with confirms)', true],
];

describe('pika durable example across a broker restart (python3-pika 1.2)', { concurrency: 2 }, () => {
  const problem = pikaProblem();

  for (const [mode, how, confirm] of VARIANTS) {
    test(`task_queue durable=True + delivery_mode=2: a manual-ack worker gets every message in order after ${how}`, { timeout: 2 * SCRIPT_TIMEOUT_MS + 60_000 }, async (t) => {
      if (problem) {
        if (process.env.CI) assert.fail(`python3-pika is required under CI: ${problem}`);
        t.skip('python3-pika not installed: apt-get install python3-pika');
        return;
      }
      const sb = sandbox(t);
      let broker = await sb.start();
      // the seeds' name, made unique per run
      const env = { QUEUE: uniqueName('task_queue'), COUNT: String(COUNT), CONFIRM: confirm ? '1' : '0' };

      const published = await runPikaScript('durable_restart_publish.py', { ...env, AMQP_URL: broker.url });
      const pubReport = describeResult('durable_restart_publish.py', published);
      assert.equal(published.code, 0, pubReport);
      assert.match(published.stdout, /^OK: /m, pubReport);
      t.diagnostic(published.stdout.trim());

      broker = await broker.restart(mode);

      const consumed = await runPikaScript('durable_restart_consume.py', { ...env, AMQP_URL: broker.url });
      const report = `${describeResult('durable_restart_consume.py', consumed)}\n${broker.output(20)}`;
      assert.equal(consumed.code, 0, report);
      assert.match(consumed.stdout, /^OK: /m, report);
      t.diagnostic(consumed.stdout.trim());
      await broker.stop();
    });
  }
});
