// The seeds' flash-sale example and a priority queue, with the real Python client (pika 1.2).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { describeResult, pikaProblem, runPikaScript, SCRIPT_TIMEOUT_MS } from '../helpers/pika.js';

const SCRIPTS: ReadonlyArray<readonly [string, string]> = [
  ['flash_sale.py', 'flash sale: requests beyond x-max-length are rejected (reject-publish nack), reject-publish-dlx dead-letters them'],
  ['priority.py', 'priority queue: higher first, FIFO within a level, over-max as max, requeue in place'],
];

describe('queue features with pika', () => {
  const problem = pikaProblem();
  let broker: TestBroker | undefined;
  before(async () => {
    if (!problem) broker = await startBroker();
  });
  after(async () => {
    await broker?.stop();
  });

  for (const [script, title] of SCRIPTS) {
    test(`${script} - ${title}`, { timeout: SCRIPT_TIMEOUT_MS + 10_000 }, async (t) => {
      if (problem) {
        if (process.env.CI) assert.fail(`python3-pika is required under CI: ${problem}`);
        t.skip('python3-pika not installed');
        return;
      }
      assert.ok(broker, 'broker not started');
      const result = await runPikaScript(script, { AMQP_URL: broker.url });
      const report = describeResult(script, result);
      assert.equal(result.code, 0, report);
      assert.match(result.stdout, /^OK: /m, report);
    });
  }
});
