// Backpressure: a consumer whose socket is not being read must not make the broker move the whole
// queue into socket buffers (memory would grow with the backlog); once it reads again, delivery
// resumes and every message arrives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type TestBroker, uniqueName } from '../helpers/broker.js';
import { stalledConsumer } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

const COUNT = 30_000;
const BODY = Buffer.alloc(1024, 0x61); // 30 MB in all: far more than socket buffers hold

test('a no-ack consumer that stops reading holds back deliveries, which resume when it reads', { timeout: 60_000 }, async () => {
  const q = uniqueName('backpressure');
  const pub = await amqp.connect(broker.url);
  const pch = await pub.createConfirmChannel();
  await pch.assertQueue(q, { durable: false });
  for (let i = 0; i < COUNT; i++) pch.sendToQueue(q, BODY);
  await pch.waitForConfirms();

  // A raw client, so that "not reading" really means the socket is not read; each 1 KiB body fits
  // one frame, so counting body frames counts messages.
  const consumer = await stalledConsumer(broker.host, broker.port, q, 'bp');
  // Proving that something does NOT happen needs a bounded wait: give the broker a second to
  // (wrongly) push everything out.
  await new Promise((r) => setTimeout(r, 1000));
  const { messageCount } = await pch.checkQueue(q);
  assert.ok(messageCount > COUNT / 2, `broker held back deliveries to a stalled consumer (ready: ${messageCount})`);

  consumer.socket.resume();
  await consumer.all(COUNT);
  assert.equal(consumer.received(), COUNT);
  assert.equal((await pch.checkQueue(q)).messageCount, 0);
  await pch.deleteQueue(q);
  consumer.client.destroy();
  await pub.close();
});
