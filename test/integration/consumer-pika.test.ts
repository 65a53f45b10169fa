// Consumer priorities, single active consumer and the alternate exchange through the Python
// client: test/integration/pika/consumer_features.py run with Debian's python3-pika against an
// in-process Warren (or the broker named by WARREN_TEST_AMQP_URL).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { describeResult, pikaProblem, runPikaScript, SCRIPT_TIMEOUT_MS } from '../helpers/pika.js';

const problem = pikaProblem();
let broker: TestBroker | undefined;

before(async () => {
  if (!problem) broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

test('pika: x-priority, x-single-active-consumer and alternate-exchange', { timeout: SCRIPT_TIMEOUT_MS + 10_000 }, async (t) => {
  if (problem) {
    if (process.env.CI) assert.fail(`python3-pika is required under CI: ${problem}`);
    t.skip('python3-pika not installed: apt-get install python3-pika');
    return;
  }
  assert.ok(broker, 'broker not started');
  const script = 'consumer_features.py';
  const result = await runPikaScript(script, { AMQP_URL: broker.url });
  const report = describeResult(script, result);
  assert.equal(result.code, 0, report);
  assert.match(result.stdout, /^OK: /m, report);
});
