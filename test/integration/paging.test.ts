// Paging: a backlog does not stay in memory. Persistent messages in a durable queue page out past the
// queue's in-memory window; transient messages page out under memory pressure. Either way they come
// back in order, byte for byte, with their properties.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { memoryPressure } from '../../src/core/queue/queue.js';
import { startBroker, type TestBroker, uniqueName } from '../helpers/broker.js';

let broker: TestBroker;
before(async () => {
  // a paging ratio this small puts the broker "under memory pressure" from the start
  broker = await startBroker({ vmMemoryHighWatermarkPagingRatio: 1e-9 });
});
after(async () => {
  await broker.stop();
  memoryPressure.on = false;
});

async function fillAndDrain(t: { skip: (m: string) => void }, durable: boolean, persistent: boolean): Promise<void> {
  const warren = broker.warren;
  if (!warren) {
    t.skip('needs the in-process broker to look at its queues');
    return;
  }
  const q = uniqueName(durable ? 'paging-durable' : 'paging-transient');
  const conn = await amqp.connect(broker.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(q, { durable });
  const N = 20_000;
  for (let i = 0; i < N; i++) ch.sendToQueue(q, Buffer.from(`message-${i}-${'x'.repeat(i % 300)}`), { persistent, messageId: `id-${i}`, headers: { i } });
  await ch.waitForConfirms();
  const queue = warren.vhosts.get('/')?.queues.get(q);
  assert.ok(queue, 'queue exists');
  assert.equal(queue.messageCount, N);
  // transient confirms do not wait for the store, so paging may still be finishing: there is no
  // event to wait for, so poll (bounded)
  const deadline = Date.now() + 5000;
  while (queue.pagedOut <= N / 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(queue.pagedOut > N / 2, `most of the backlog is paged out (${queue.pagedOut} of ${N})`);

  const cch = await conn.createChannel();
  await cch.prefetch(1000);
  let next = 0;
  let problem: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`drain stalled at ${next}`)), 30_000);
    void cch.consume(q, (m) => {
      if (!m) return;
      const want = `message-${next}-${'x'.repeat(next % 300)}`;
      if (problem === undefined && (m.content.toString() !== want || m.properties.messageId !== `id-${next}` || m.properties.headers?.i !== next)) {
        problem = `message ${next}: got ${m.content.toString().slice(0, 30)} / ${m.properties.messageId}`;
      }
      next += 1;
      if (next % 100 === 0 || next === N) cch.ack(m, true);
      if (next === N) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.equal(problem, undefined, problem);
  assert.equal(next, N);
  await cch.close();
  await ch.deleteQueue(q);
  await conn.close();
}

test('persistent messages in a durable queue page out past the window and come back in order', { timeout: 60_000 }, async (t) => {
  await fillAndDrain(t, true, true);
});

test('transient messages page out under memory pressure and come back in order', { timeout: 60_000 }, async (t) => {
  assert.equal(memoryPressure.on, true, 'the broker reports memory pressure');
  await fillAndDrain(t, false, false);
});
