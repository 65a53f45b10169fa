// The permission matrix with amqplib: every operation RabbitMQ checks, once allowed and once
// refused, with the exact channel.close (403 ACCESS_REFUSED, RabbitMQ's text, class and method
// ids). The user under test may configure, write and read only names starting with "ok-"; the
// owner (full permissions) sets up the "no-" resources. Passes against RabbitMQ 3.10 as well
// (WARREN_TEST_AMQP_URL + WARREN_TEST_MGMT_URL), which is where the expected texts come from.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Channel, ChannelModel } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  TIMEOUT_MS,
  channelClosed,
  closeQuietly,
  connect,
  expectChannelError,
  isChannelClosed,
  openChannel,
  openConfirmChannel,
  withTimeout,
} from '../helpers/amqp-helpers.js';
import { type AccessAdmin, accessAdmin, adminProblem, amqpUrl, partName } from './access-admin.js';

const T = { durable: false } as const;
let broker: TestBroker;
let admin: AccessAdmin;
let vhost: string;
let user: string;
let ownerConn: ChannelModel;
let owner: Channel;
let conn: ChannelModel;
let skip: string | null = null;

before(async () => {
  broker = await startBroker();
  skip = adminProblem(broker);
  if (skip) return;
  admin = accessAdmin(broker);
  vhost = partName('matrix');
  await admin.addVhost(vhost);
  const ownerName = partName('owner');
  await admin.addUser(ownerName, 'owner-secret');
  await admin.setPermissions(ownerName, vhost, '.*', '.*', '.*');
  user = partName('user');
  await admin.addUser(user, 'user-secret');
  await admin.setPermissions(user, vhost, '^ok-', '^ok-', '^ok-');
  ownerConn = await connect(amqpUrl(broker, ownerName, 'owner-secret', vhost));
  owner = await openChannel(ownerConn);
  for (const q of ['ok-q', 'no-q']) await owner.assertQueue(q, T);
  for (const x of ['ok-x', 'ok-x2', 'no-x']) await owner.assertExchange(x, 'direct', T);
  conn = await connect(amqpUrl(broker, user, 'user-secret', vhost));
});

after(async () => {
  if (conn) await closeQuietly(conn);
  if (ownerConn) await closeQuietly(ownerConn);
  await admin?.cleanup(); // deleting the vhost removes its queues and exchanges
  await broker?.stop();
});

// `access` names the permission the case needs; RabbitMQ 3.10's text does not mention it
const refused = (_access: string, kind: 'queue' | 'exchange', name: string, classId: number, methodId: number) => ({
  code: 403,
  text: `ACCESS_REFUSED - access to ${kind} '${name}' in vhost '${vhost}' refused for user '${user}'`,
  classId,
  methodId,
});

/** Runs `action` on a fresh channel and expects it to be refused as given. */
async function expectRefused(action: (ch: Channel) => unknown, expected: ReturnType<typeof refused>): Promise<void> {
  const ch = await openChannel(conn);
  await expectChannelError(ch, () => action(ch), expected, conn);
}

/** Runs `action` on a fresh channel; it must succeed and leave the channel open. */
async function expectAllowed(action: (ch: Channel) => Promise<unknown>): Promise<void> {
  const ch = await openChannel(conn);
  await withTimeout(action(ch), TIMEOUT_MS, 'allowed operation');
  assert.equal(isChannelClosed(ch), false, 'the channel must stay open after an allowed operation');
  await withTimeout(ch.close(), TIMEOUT_MS, 'channel close');
}

describe('permission matrix (amqplib)', () => {
  test('queue.declare needs configure on the queue; a passive declare needs nothing', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.assertQueue('ok-declared', T));
    await expectRefused((ch) => ch.assertQueue('no-declared', T), refused('configure', 'queue', 'no-declared', 50, 10));
    await expectAllowed(async (ch) => assert.deepEqual(await ch.checkQueue('no-q'), { queue: 'no-q', messageCount: 0, consumerCount: 0 }));
  });

  test('a server-named queue is checked under its generated amq.gen- name', async (t) => {
    if (skip) return t.skip(skip);
    const ch = await openChannel(conn);
    await assert.rejects(ch.assertQueue('', { exclusive: true }), /403/);
    const closed = await channelClosed(ch);
    assert.ok(closed, 'channel.close expected');
    assert.equal(closed.code, 403, 'reply code');
    assert.match(closed.text, new RegExp(`^ACCESS_REFUSED - access to queue 'amq\\.gen-[\\w-]{22}' in vhost '${vhost}' refused for user '${user}'$`));
    assert.deepEqual([closed.classId, closed.methodId], [50, 10], 'class and method ids');
  });

  test('queue.delete needs configure, checked before the queue is looked up', async (t) => {
    if (skip) return t.skip(skip);
    await owner.assertQueue('ok-doomed', T);
    await expectAllowed((ch) => ch.deleteQueue('ok-doomed'));
    await expectRefused((ch) => ch.deleteQueue('no-q'), refused('configure', 'queue', 'no-q', 50, 40));
    await expectRefused((ch) => ch.deleteQueue('no-such-queue'), refused('configure', 'queue', 'no-such-queue', 50, 40));
  });

  test('exchange.declare and exchange.delete need configure on the exchange', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.assertExchange('ok-declared-x', 'fanout', T));
    await expectRefused((ch) => ch.assertExchange('no-declared-x', 'fanout', T), refused('configure', 'exchange', 'no-declared-x', 40, 10));
    await expectAllowed((ch) => ch.deleteExchange('ok-declared-x'));
    await expectRefused((ch) => ch.deleteExchange('no-x'), refused('configure', 'exchange', 'no-x', 40, 20));
  });

  test('basic.publish needs write on the exchange; the default exchange is checked as amq.default', async (t) => {
    if (skip) return t.skip(skip);
    const ch = await openConfirmChannel(conn);
    ch.publish('ok-x', 'k', Buffer.from('allowed'));
    await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirm of an allowed publish');
    await withTimeout(ch.close(), TIMEOUT_MS, 'channel close');
    await expectRefused((c) => c.publish('no-x', 'k', Buffer.from('x')), refused('write', 'exchange', 'no-x', 60, 40));
    await expectRefused((c) => c.sendToQueue('ok-q', Buffer.from('x')), refused('write', 'exchange', 'amq.default', 60, 40));
    // refused before the exchange is looked up: no 404 for a missing one
    await expectRefused((c) => c.publish('no-such-x', 'k', Buffer.from('x')), refused('write', 'exchange', 'no-such-x', 60, 40));
  });

  test('basic.consume and basic.get need read on the queue, checked before the lookup', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed(async (ch) => {
      const ok = await ch.consume('ok-q', () => {});
      await ch.cancel(ok.consumerTag);
    });
    await expectRefused((ch) => ch.consume('no-q', () => {}), refused('read', 'queue', 'no-q', 60, 20));
    await expectRefused((ch) => ch.consume('no-such-queue', () => {}), refused('read', 'queue', 'no-such-queue', 60, 20));
    await expectAllowed(async (ch) => assert.equal(await ch.get('ok-q', { noAck: true }), false));
    await expectRefused((ch) => ch.get('no-q'), refused('read', 'queue', 'no-q', 60, 70));
  });

  test('queue.purge needs read on the queue', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.purgeQueue('ok-q'));
    await expectRefused((ch) => ch.purgeQueue('no-q'), refused('read', 'queue', 'no-q', 50, 30));
  });

  test('queue.bind and queue.unbind need write on the queue and read on the exchange', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.bindQueue('ok-q', 'ok-x', 'rk'));
    await expectRefused((ch) => ch.bindQueue('no-q', 'ok-x', 'rk'), refused('write', 'queue', 'no-q', 50, 20));
    await expectRefused((ch) => ch.bindQueue('ok-q', 'no-x', 'rk'), refused('read', 'exchange', 'no-x', 50, 20));
    // the queue is checked first, even when neither end exists
    await expectRefused((ch) => ch.bindQueue('no-such-q', 'no-such-x', 'rk'), refused('write', 'queue', 'no-such-q', 50, 20));
    await expectAllowed((ch) => ch.unbindQueue('ok-q', 'ok-x', 'rk'));
    await expectRefused((ch) => ch.unbindQueue('no-q', 'ok-x', 'rk'), refused('write', 'queue', 'no-q', 50, 50));
    await expectRefused((ch) => ch.unbindQueue('ok-q', 'no-x', 'rk'), refused('read', 'exchange', 'no-x', 50, 50));
  });

  test('exchange.bind and exchange.unbind need write on the destination and read on the source', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.bindExchange('ok-x2', 'ok-x', 'rk'));
    await expectRefused((ch) => ch.bindExchange('no-x', 'ok-x', 'rk'), refused('write', 'exchange', 'no-x', 40, 30));
    await expectRefused((ch) => ch.bindExchange('ok-x2', 'no-x', 'rk'), refused('read', 'exchange', 'no-x', 40, 30));
    await expectAllowed((ch) => ch.unbindExchange('ok-x2', 'ok-x', 'rk'));
    await expectRefused((ch) => ch.unbindExchange('no-x', 'ok-x', 'rk'), refused('write', 'exchange', 'no-x', 40, 40));
    await expectRefused((ch) => ch.unbindExchange('ok-x2', 'no-x', 'rk'), refused('read', 'exchange', 'no-x', 40, 40));
  });

  test('a new queue with a dead-letter exchange needs write on that exchange', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.assertQueue('ok-dlq', { ...T, deadLetterExchange: 'ok-x' }));
    await expectRefused((ch) => ch.assertQueue('ok-dlq2', { ...T, deadLetterExchange: 'no-x' }), refused('write', 'exchange', 'no-x', 50, 10));
  });

  test('a new exchange with an alternate exchange needs write on the alternate', async (t) => {
    if (skip) return t.skip(skip);
    await expectAllowed((ch) => ch.assertExchange('ok-ae-x', 'fanout', { ...T, alternateExchange: 'ok-x' }));
    await expectRefused((ch) => ch.assertExchange('ok-ae-x2', 'fanout', { ...T, alternateExchange: 'no-x' }), refused('write', 'exchange', 'no-x', 40, 10));
  });
});

describe('permission patterns', () => {
  test('patterns are unanchored regexes, and an empty pattern grants nothing', async (t) => {
    if (skip) return t.skip(skip);
    const other = partName('pattern-user');
    await admin.addUser(other, 'pattern-secret');
    // "mid" matches anywhere in the name, as RabbitMQ's re:run does; write and read grant nothing
    await admin.setPermissions(other, vhost, 'mid', '', '');
    const c = await connect(amqpUrl(broker, other, 'pattern-secret', vhost));
    try {
      const ch = await openChannel(c);
      await withTimeout(ch.assertQueue('ok-a-mid-b', T), TIMEOUT_MS, 'declare of a name containing "mid"');
      await withTimeout(ch.assertQueue('mid', T), TIMEOUT_MS, 'declare of "mid"');
      const text = (_access: string, name: string, kind = 'queue') => `ACCESS_REFUSED - access to ${kind} '${name}' in vhost '${vhost}' refused for user '${other}'`;
      await expectChannelError(ch, () => ch.assertQueue('ok-other', T), { code: 403, text: text('configure', 'ok-other'), classId: 50, methodId: 10 }, c);
      const ch2 = await openChannel(c);
      await expectChannelError(ch2, () => ch2.get('ok-a-mid-b'), { code: 403, text: text('read', 'ok-a-mid-b'), classId: 60, methodId: 70 }, c);
    } finally {
      await closeQuietly(c);
    }
  });

  test('topic permissions check routing keys on publish to and bind from a topic exchange', async (t) => {
    if (skip) return t.skip(skip);
    const tu = partName('topic-user');
    await admin.addUser(tu, 'topic-secret');
    await admin.setPermissions(tu, vhost, '.*', '.*', '.*');
    // {username} is expanded, as in RabbitMQ
    await admin.setTopicPermissions(tu, vhost, 'amq.topic', '^{username}\\.', '^r\\.');
    const c = await connect(amqpUrl(broker, tu, 'topic-secret', vhost));
    try {
      const text = (key: string) => `ACCESS_REFUSED - access to topic '${key}' in exchange 'amq.topic' in vhost '${vhost}' refused for user '${tu}'`;
      const pub = await openConfirmChannel(c);
      pub.publish('amq.topic', `${tu}.news`, Buffer.from('allowed'));
      pub.publish('amq.direct', 'any.key', Buffer.from('not a topic exchange: no topic check'));
      await withTimeout(pub.waitForConfirms(), TIMEOUT_MS, 'confirms of allowed publishes');
      await expectChannelError(pub, () => pub.publish('amq.topic', 'other.news', Buffer.from('x')), { code: 403, text: text('other.news'), classId: 60, methodId: 40 }, c);
      const ch = await openChannel(c);
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      await withTimeout(ch.bindQueue(q, 'amq.topic', 'r.#'), TIMEOUT_MS, 'an allowed bind');
      await expectChannelError(ch, () => ch.bindQueue(q, 'amq.topic', 'x.#'), { code: 403, text: text('x.#'), classId: 50, methodId: 20 }, c);
    } finally {
      await closeQuietly(c);
    }
  });

  test('server-named queues work for a user whose configure and read allow amq.gen-', async (t) => {
    if (skip) return t.skip(skip);
    const gen = partName('gen-user');
    await admin.addUser(gen, 'gen-secret');
    await admin.setPermissions(gen, vhost, '^amq\\.gen-', '', '^amq\\.gen-');
    const c = await connect(amqpUrl(broker, gen, 'gen-secret', vhost));
    try {
      const ch = await openChannel(c);
      const ok = await withTimeout(ch.assertQueue('', { exclusive: true }), TIMEOUT_MS, 'server-named declare');
      assert.match(ok.queue, /^amq\.gen-/);
      const consumer = await withTimeout(ch.consume(ok.queue, () => {}), TIMEOUT_MS, 'consume from the server-named queue');
      assert.ok(consumer.consumerTag.length > 0, 'consumer tag');
    } finally {
      await closeQuietly(c);
    }
  });
});
