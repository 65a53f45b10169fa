// amqplib against the broker: message content and properties arrive exactly as published
// (all 14 basic properties, every field-table value type, bodies around frame boundaries and
// large ones), and many messages keep their order.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { Returns, TRANSIENT, consume, getOne, rawPublish, scope, type AmqpScope } from '../helpers/amqp-helpers.js';
import type { ConfirmChannel } from 'amqplib';

let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

async function confirmedQueue(s: AmqpScope): Promise<{ ch: ConfirmChannel; q: string }> {
  const ch = await s.confirmChannel();
  const q = s.queue();
  await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
  return { ch, q };
}

const PROPERTY_NAMES = [
  'contentType',
  'contentEncoding',
  'headers',
  'deliveryMode',
  'priority',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'timestamp',
  'type',
  'userId',
  'appId',
  'clusterId',
] as const;

// Headers as published (amqplib picks the narrowest integer type, 'd' for fractions; the
// {'!': type, value} form forces a type) ...
const HEADERS_SENT = {
  str: 'string value',
  empty: '',
  utf8: 'héllo ✓ 日本',
  int8: 1,
  neg: -5,
  int16: 1000,
  int32: 100000,
  int64: 2 ** 40,
  negInt64: -(2 ** 40),
  double: 1.5,
  float: { '!': 'float', value: 1.5 },
  forcedDouble: { '!': 'double', value: 2 },
  uint8: { '!': 'uint8', value: 200 },
  uint16: { '!': 'uint16', value: 60000 },
  uint32: { '!': 'uint32', value: 4000000000 },
  int16Forced: { '!': 'int16', value: 5 },
  int32Forced: { '!': 'int32', value: 5 },
  int64Forced: { '!': 'int64', value: 5 },
  yes: true,
  no: false,
  nothing: null,
  bytes: Buffer.from([0, 1, 2, 254, 255]),
  emptyBytes: Buffer.alloc(0),
  ts: { '!': 'timestamp', value: 1700000000 },
  dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
  table: { inner: { deeper: 'z', n: 7, list: [1, 'a', { k: true }] } },
  emptyTable: {},
  array: [1, 'two', [3, [4]], { five: 5 }, null, true, 2.5, Buffer.from('x')],
  emptyArray: [],
  'ключ': 'non-ascii key',
};
// ... and as amqplib decodes them after the round trip through the broker.
const HEADERS_RECEIVED = {
  ...HEADERS_SENT,
  float: 1.5,
  forcedDouble: 2,
  uint8: 200,
  uint16: 60000,
  uint32: 4000000000,
  int16Forced: 5,
  int32Forced: 5,
  int64Forced: 5,
};

const ALL_PROPERTIES = {
  contentType: 'application/json',
  contentEncoding: 'gzip',
  headers: HEADERS_SENT,
  deliveryMode: 2,
  priority: 7,
  correlationId: 'corr-1',
  replyTo: 'reply-queue',
  expiration: '60000',
  messageId: 'msg-1',
  timestamp: 1700000000,
  type: 'my.type',
  userId: 'guest',
  appId: 'app-1',
  clusterId: 'cluster-1',
};

describe('basic properties', () => {
  test('all 14 properties arrive exactly as published (deliver and get-ok)', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    // amqplib's publish never sends cluster-id, so publish through its lower-level sendMessage
    rawPublish(ch, { exchange: '', routingKey: q }, ALL_PROPERTIES, Buffer.from('all'));
    rawPublish(ch, { exchange: '', routingKey: q }, ALL_PROPERTIES, Buffer.from('all-get'));
    await ch.waitForConfirms();
    const expected = { ...ALL_PROPERTIES, headers: HEADERS_RECEIVED };
    const viaGet = await getOne(ch, q, { noAck: true });
    assert.deepEqual(viaGet.properties, expected);
    assert.equal(viaGet.content.toString(), 'all');
    const { inbox } = await consume(ch, q, { noAck: true });
    const viaDeliver = await inbox.next();
    assert.deepEqual(viaDeliver.properties, expected);
  });

  test('properties survive basic.return too', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    rawPublish(ch, { exchange: 'amq.direct', routingKey: 'nobody', mandatory: true }, ALL_PROPERTIES, Buffer.from('ret'));
    const [r] = await returns.waitFor(1);
    assert.deepEqual(r.properties, { ...ALL_PROPERTIES, headers: HEADERS_RECEIVED });
  });

  test('the same properties through amqplib publish options (13: it cannot set cluster-id)', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    const { clusterId: _omit, ...options } = ALL_PROPERTIES;
    ch.sendToQueue(q, Buffer.from('opts'), options);
    await ch.waitForConfirms();
    const m = await getOne(ch, q, { noAck: true });
    assert.deepEqual(m.properties, { ...options, headers: HEADERS_RECEIVED, clusterId: undefined });
  });

  test('a message without properties arrives without properties', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    rawPublish(ch, { exchange: '', routingKey: q }, {}, Buffer.from('bare'));
    await ch.waitForConfirms();
    const m = await getOne(ch, q, { noAck: true });
    for (const p of PROPERTY_NAMES) assert.equal(m.properties[p], undefined, p);
  });

  test('an empty headers table stays an empty table', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    ch.sendToQueue(q, Buffer.from('x')); // amqplib always sends a (here empty) headers table
    await ch.waitForConfirms();
    const m = await getOne(ch, q, { noAck: true });
    assert.deepEqual(m.properties.headers, {});
    assert.equal(m.properties.deliveryMode, undefined);
  });

  test('delivery modes 1 and 2 and priorities 0..9 are kept', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    ch.sendToQueue(q, Buffer.from('t'), { deliveryMode: 1, priority: 0 });
    ch.sendToQueue(q, Buffer.from('p'), { persistent: true, priority: 9 });
    await ch.waitForConfirms();
    const a = await getOne(ch, q, { noAck: true });
    const b = await getOne(ch, q, { noAck: true });
    assert.deepEqual([a.properties.deliveryMode, a.properties.priority], [1, 0]);
    assert.deepEqual([b.properties.deliveryMode, b.properties.priority], [2, 9]);
  });

  test('long short-strings (255 bytes) and UTF-8 in names and properties', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = `${s.queue()}-ünï✓`;
    s.track(q);
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const key = 'k'.repeat(255);
    await ch.bindQueue(q, 'amq.direct', key);
    const id = 'é'.repeat(127); // 254 bytes
    ch.publish('amq.direct', key, Buffer.from('x'), { messageId: id, type: 'x'.repeat(255) });
    await ch.waitForConfirms();
    const m = await getOne(ch, q, { noAck: true });
    assert.equal(m.fields.routingKey, key);
    assert.equal(m.properties.messageId, id);
    assert.equal(m.properties.type, 'x'.repeat(255));
    await ch.unbindQueue(q, 'amq.direct', key);
  });
});

describe('message bodies', () => {
  // 131072 is RabbitMQ's default frame_max; a body frame carries frame_max - 8 bytes
  const FRAME_BODY = 131072 - 8;
  const SIZES = [0, 1, 2, FRAME_BODY - 1, FRAME_BODY, FRAME_BODY + 1, 131072, 2 * FRAME_BODY, 2 * FRAME_BODY + 1, 1024 * 1024, 10 * 1024 * 1024];

  test(`bodies of ${SIZES.join(', ')} bytes arrive intact`, async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    const sent = SIZES.map((n) => randomBytes(n));
    for (const b of sent) ch.sendToQueue(q, b);
    await ch.waitForConfirms();
    const { inbox } = await consume(ch, q, { noAck: true });
    const got = await inbox.waitFor(sent.length, 30_000);
    got.forEach((m, i) => {
      assert.equal(m.content.length, SIZES[i], `size of message ${i}`);
      assert.ok(m.content.equals(sent[i]), `bytes of the ${SIZES[i]}-byte body`);
    });
  });

  test('large and empty bodies through basic.get and basic.return', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    const big = randomBytes(3 * FRAME_BODY + 17);
    ch.sendToQueue(q, big);
    ch.sendToQueue(q, Buffer.alloc(0));
    await ch.waitForConfirms();
    assert.ok((await getOne(ch, q, { noAck: true })).content.equals(big));
    assert.equal((await getOne(ch, q, { noAck: true })).content.length, 0);
    const returns = new Returns(ch);
    ch.publish('amq.direct', 'nobody', big, { mandatory: true });
    ch.publish('amq.direct', 'nobody', Buffer.alloc(0), { mandatory: true });
    const [r1, r2] = await returns.waitFor(2);
    assert.ok(r1.content.equals(big));
    assert.equal(r2.content.length, 0);
  });
});

describe('ordering', () => {
  test('2000 messages of mixed sizes from one channel arrive in publish order', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await confirmedQueue(s);
    const consumer = await s.channel();
    const { inbox } = await consume(consumer, q, { noAck: true });
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const pad = i % 100 === 0 ? 'x'.repeat(200_000) : '';
      ch.sendToQueue(q, Buffer.from(`${i}:${pad}`), { messageId: String(i) });
    }
    await ch.waitForConfirms();
    const got = await inbox.waitFor(N, 30_000);
    const order = got.map((m) => Number(m.content.toString().split(':')[0]));
    assert.deepEqual(
      order,
      Array.from({ length: N }, (_, i) => i),
    );
    assert.ok(got.every((m, i) => m.properties.messageId === String(i)));
  });
});
