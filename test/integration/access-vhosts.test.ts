// Vhost isolation: two vhosts with a queue of the same name are separate worlds (messages never
// cross, counts are per vhost, deleting one leaves the other), and a user with permissions on one
// vhost only cannot open the other (530, RabbitMQ's text).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { TIMEOUT_MS, closeQuietly, connect, consume, openChannel, openConfirmChannel, withTimeout } from '../helpers/amqp-helpers.js';
import { M, RawClient, clientProperties, enc, plainResponse } from '../helpers/raw-client.js';
import { type AccessAdmin, accessAdmin, adminProblem, amqpUrl, partName } from './access-admin.js';

let broker: TestBroker;
let admin: AccessAdmin;
let skip: string | null = null;
let vhostA: string;
let vhostB: string;
let both: string;
let onlyA: string;

before(async () => {
  broker = await startBroker();
  skip = adminProblem(broker);
  if (skip) return;
  admin = accessAdmin(broker);
  vhostA = partName('iso-a');
  vhostB = partName('iso-b');
  await admin.addVhost(vhostA);
  await admin.addVhost(vhostB);
  both = partName('both');
  onlyA = partName('only-a');
  await admin.addUser(both, 'both-secret');
  await admin.addUser(onlyA, 'only-a-secret');
  for (const v of [vhostA, vhostB]) await admin.setPermissions(both, v, '.*', '.*', '.*');
  await admin.setPermissions(onlyA, vhostA, '.*', '.*', '.*');
});

after(async () => {
  await admin?.cleanup();
  await broker?.stop();
});

describe('vhost isolation', () => {
  test('the same queue name in two vhosts: publishes do not cross, counts are separate', async (t) => {
    if (skip) return t.skip(skip);
    const a = await connect(amqpUrl(broker, both, 'both-secret', vhostA));
    const b = await connect(amqpUrl(broker, both, 'both-secret', vhostB));
    try {
      const chA = await openConfirmChannel(a);
      const chB = await openConfirmChannel(b);
      for (const ch of [chA, chB]) await ch.assertQueue('partA-shared', { durable: false });
      for (let i = 0; i < 3; i++) chA.sendToQueue('partA-shared', Buffer.from(`a${i}`));
      chB.sendToQueue('partA-shared', Buffer.from('b0'));
      await withTimeout(Promise.all([chA.waitForConfirms(), chB.waitForConfirms()]), TIMEOUT_MS, 'confirms in both vhosts');
      assert.deepEqual(await chA.checkQueue('partA-shared'), { queue: 'partA-shared', messageCount: 3, consumerCount: 0 });
      assert.deepEqual(await chB.checkQueue('partA-shared'), { queue: 'partA-shared', messageCount: 1, consumerCount: 0 });
      const { inbox } = await consume(chB, 'partA-shared', { noAck: true });
      assert.equal((await inbox.next()).content.toString(), 'b0');
      await inbox.expectQuiet();
      // an exchange of vhost A is unknown in vhost B
      await chA.assertExchange('partA-only-in-a', 'fanout', { durable: false });
      const probe = await openChannel(b);
      await assert.rejects(probe.checkExchange('partA-only-in-a'), /NOT_FOUND - no exchange 'partA-only-in-a' in vhost/);
      // deleting the queue in A leaves B's
      await chA.deleteQueue('partA-shared');
      assert.equal((await chB.checkQueue('partA-shared')).queue, 'partA-shared');
    } finally {
      await closeQuietly(a);
      await closeQuietly(b);
    }
  });

  test("a user of one vhost cannot open another: 530 \"access to vhost '...' refused\"", async (t) => {
    if (skip) return t.skip(skip);
    const ok = await connect(amqpUrl(broker, onlyA, 'only-a-secret', vhostA));
    await closeQuietly(ok);
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      c.sendHeader();
      await c.expectMethod(0, M.connectionStart);
      c.sendMethod(0, M.connectionStartOk, enc.startOk({ clientProperties: clientProperties(), mechanism: 'PLAIN', response: plainResponse(onlyA, 'only-a-secret') }));
      await c.expectMethod(0, M.connectionTune);
      c.sendMethod(0, M.connectionTuneOk, enc.tuneOk(2047, 131072, 0));
      c.sendMethod(0, M.connectionOpen, enc.open(vhostB));
      assert.deepEqual(await c.expectConnectionClose(530), {
        replyCode: 530,
        replyText: `NOT_ALLOWED - access to vhost '${vhostB}' refused for user '${onlyA}'`,
        classId: 10,
        methodId: 40,
      });
    } finally {
      c.destroy();
    }
    await assert.rejects(connect(amqpUrl(broker, onlyA, 'only-a-secret', vhostB)), /ConnectionClose/);
  });
});
