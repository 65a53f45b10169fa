// Flow control: when a queue's deliveries lag behind its publishes because a consumer's socket is
// backed up, the broker stops reading the publishers into that queue (RabbitMQ's "flow" state)
// instead of letting the backlog grow; a consumer that is merely slow to ack never does that.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import type { Socket } from 'node:net';
import { startBroker, type TestBroker, uniqueName } from '../helpers/broker.js';
import { stalledConsumer } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

const COUNT = 300_000;
const BODY = Buffer.alloc(256, 0x62); // 90 MB of frames in all: far more than every buffer on the way holds

/** Waits until the publisher's own socket holds unsent bytes for a while: the broker stopped reading it. */
async function publisherStuck(stream: Socket): Promise<void> {
  let since = 0;
  for (;;) {
    if (stream.writableLength > 0) {
      if (since === 0) since = Date.now();
      else if (Date.now() - since >= 500) return;
    } else since = 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function socketOf(c: amqp.ChannelModel): Socket {
  return (c as unknown as { connection: { stream: Socket } }).connection.stream;
}

test('a consumer whose socket is backed up holds publishers back; the backlog stays small and nothing is lost', { timeout: 90_000 }, async () => {
  const q = uniqueName('flow');
  const admin = await amqp.connect(broker.url);
  const ach = await admin.createChannel();
  await ach.assertQueue(q, { durable: false });
  const consumer = await stalledConsumer(broker.host, broker.port, q, 'flow');
  const pub = await amqp.connect(broker.url);
  const pch = await pub.createChannel();
  for (let i = 0; i < COUNT; i++) pch.sendToQueue(q, BODY);
  await publisherStuck(socketOf(pub));
  const { messageCount } = await ach.checkQueue(q);
  assert.ok(messageCount < 60_000, `the queue's backlog stays bounded while the consumer is stalled (ready: ${messageCount})`);
  assert.ok(consumer.received() === 0, 'the consumer has not read anything yet');

  consumer.socket.resume();
  await consumer.all(COUNT);
  assert.equal(consumer.received(), COUNT);
  assert.equal((await ach.checkQueue(q)).messageCount, 0);
  await ach.deleteQueue(q);
  consumer.socket.destroy();
  await pub.close();
  await admin.close();
});

test('when the stalled consumer goes away, held publishers are read again', { timeout: 90_000 }, async () => {
  const q = uniqueName('flow-gone');
  const admin = await amqp.connect(broker.url);
  const ach = await admin.createChannel();
  await ach.assertQueue(q, { durable: false });
  const consumer = await stalledConsumer(broker.host, broker.port, q, 'flow');
  const pub = await amqp.connect(broker.url);
  const pch = await pub.createConfirmChannel();
  for (let i = 0; i < COUNT; i++) pch.sendToQueue(q, BODY);
  await publisherStuck(socketOf(pub));
  consumer.socket.destroy();
  await pch.waitForConfirms(); // every publish is read and routed once the consumer is gone
  const { messageCount } = await ach.checkQueue(q);
  // what the dead consumer got is gone with it (no-ack); everything else is in the queue
  assert.ok(messageCount > 0 && messageCount <= COUNT, `the rest of the publishes reached the queue (ready: ${messageCount})`);
  await ach.deleteQueue(q);
  await pub.close();
  await admin.close();
});

test('a consumer that is slow to ack (prefetch reached) does not hold publishers back', { timeout: 60_000 }, async () => {
  const q = uniqueName('flow-slow');
  const n = 20_000;
  const admin = await amqp.connect(broker.url);
  const ach = await admin.createChannel();
  await ach.assertQueue(q, { durable: false });
  const cons = await amqp.connect(broker.url);
  const cch = await cons.createChannel();
  await cch.prefetch(1);
  let got = 0;
  await cch.consume(q, () => {
    got += 1; // never acked
  });
  const pub = await amqp.connect(broker.url);
  const pch = await pub.createConfirmChannel();
  for (let i = 0; i < n; i++) pch.sendToQueue(q, BODY);
  await pch.waitForConfirms();
  const { messageCount } = await ach.checkQueue(q);
  assert.equal(messageCount + got, n, `the queue holds the backlog (ready ${messageCount}, delivered ${got})`);
  await cons.close();
  await ach.deleteQueue(q);
  await pub.close();
  await admin.close();
});
