// What administrative changes do to connections that are already open, as in RabbitMQ 3.10:
// deleting a user or a vhost closes its connections with 320 CONNECTION_FORCED; clearing or
// changing permissions closes nothing but applies to later checks (a channel keeps, for a while,
// the grants it has used: RabbitMQ's per-channel permission cache); tags (impersonator) are those
// of login time. Also the user_id rule: 406 unless the publisher is that user or an impersonator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  TIMEOUT_MS,
  closeQuietly,
  connect,
  connectionClosed,
  consume,
  expectChannelError,
  isConnectionClosed,
  openChannel,
  openConfirmChannel,
  sleep,
  withTimeout,
} from '../helpers/amqp-helpers.js';
import { type AccessAdmin, accessAdmin, adminProblem, amqpUrl, partName } from './access-admin.js';

const T = { durable: false } as const;
let broker: TestBroker;
let admin: AccessAdmin;
let skip: string | null = null;
let vhost: string;

before(async () => {
  broker = await startBroker();
  skip = adminProblem(broker);
  if (skip) return;
  admin = accessAdmin(broker);
  vhost = partName('changes');
  await admin.addVhost(vhost);
});

after(async () => {
  await admin?.cleanup();
  await broker?.stop();
});

/** A new user with full permissions on the test vhost. */
async function newUser(what: string, tags: string[] = []): Promise<{ name: string; url: string }> {
  const name = partName(what);
  await admin.addUser(name, `${what}-secret`, tags);
  await admin.setPermissions(name, vhost, '.*', '.*', '.*');
  return { name, url: amqpUrl(broker, name, `${what}-secret`, vhost) };
}

describe('deleting users and vhosts', () => {
  test("deleting a user closes its connections with 320 \"user '...' is deleted\"; others stay", async (t) => {
    if (skip) return t.skip(skip);
    const doomed = await newUser('doomed');
    const bystander = await newUser('bystander');
    const c1 = await connect(doomed.url);
    const c2 = await connect(doomed.url);
    const other = await connect(bystander.url);
    try {
      await openChannel(c1);
      await admin.deleteUser(doomed.name);
      const expected = { code: 320, text: `CONNECTION_FORCED - user '${doomed.name}' is deleted`, classId: 0, methodId: 0 };
      assert.deepEqual(await connectionClosed(c1), expected);
      assert.deepEqual(await connectionClosed(c2), expected);
      const ch = await openChannel(other);
      await withTimeout(ch.assertQueue('', { exclusive: true }), TIMEOUT_MS, 'the other user keeps working');
      assert.equal(isConnectionClosed(other), false, "another user's connection stays open");
    } finally {
      for (const c of [c1, c2, other]) await closeQuietly(c);
    }
  });

  test("deleting a vhost closes its connections with 320 \"vhost '...' is deleted\"", async (t) => {
    if (skip) return t.skip(skip);
    const doomedVhost = partName('doomed-vhost');
    await admin.addVhost(doomedVhost);
    const u = partName('vhost-user');
    await admin.addUser(u, 'vhost-secret');
    await admin.setPermissions(u, doomedVhost, '.*', '.*', '.*');
    await admin.setPermissions(u, vhost, '.*', '.*', '.*');
    const inDoomed = await connect(amqpUrl(broker, u, 'vhost-secret', doomedVhost));
    const elsewhere = await connect(amqpUrl(broker, u, 'vhost-secret', vhost));
    try {
      const ch = await openChannel(inDoomed);
      await ch.assertQueue('partA-in-doomed', T);
      await admin.deleteVhost(doomedVhost);
      const closed = await connectionClosed(inDoomed);
      assert.ok(closed, 'connection.close from the server');
      assert.deepEqual([closed.code, closed.classId, closed.methodId], [320, 0, 0], 'reply code, class and method ids');
      // RabbitMQ races two closes ("is down" when the vhost's processes stop, "is deleted" when the
      // deletion is announced) and either text may win; Warren always sends "is deleted"
      const text = `CONNECTION_FORCED - vhost '${doomedVhost}' is deleted`;
      if (broker.external) assert.ok([text, text.replace(/deleted$/, 'down')].includes(closed.text), `unexpected text ${closed.text}`);
      else assert.equal(closed.text, text);
      const ch2 = await openChannel(elsewhere);
      await withTimeout(ch2.checkExchange('amq.direct'), TIMEOUT_MS, 'the same user in another vhost keeps working');
    } finally {
      await closeQuietly(inDoomed);
      await closeQuietly(elsewhere);
    }
  });
});

describe('changing permissions under open connections', () => {
  test('clearing permissions closes nothing, refuses new checks, and a channel keeps the grants it just used', async (t) => {
    if (skip) return t.skip(skip);
    const u = await newUser('cleared-perms');
    const c = await connect(u.url);
    try {
      const busy = await openChannel(c);
      await busy.assertQueue('partA-cached', T);
      await admin.clearPermissions(u.name, vhost);
      // RabbitMQ remembers a channel's last 12 grants: the same declare on the same channel passes
      await withTimeout(busy.assertQueue('partA-cached', T), TIMEOUT_MS, 'a cached grant on the same channel');
      assert.equal(isConnectionClosed(c), false, 'clearing permissions must not close the connection');
      // ... but a new resource on it, or any check on a new channel, is refused
      const refused = (name: string) => ({
        code: 403,
        text: `ACCESS_REFUSED - access to queue '${name}' in vhost '${vhost}' refused for user '${u.name}'`,
        classId: 50,
        methodId: 10,
      });
      await expectChannelError(busy, () => busy.assertQueue('partA-new', T), refused('partA-new'), c);
      const fresh = await openChannel(c);
      await expectChannelError(fresh, () => fresh.assertQueue('partA-cached', T), refused('partA-cached'), c);
    } finally {
      await closeQuietly(c);
    }
  });

  test('a channel forgets its cached grants once it has been idle for a second', async (t) => {
    if (skip) return t.skip(skip);
    const u = await newUser('idle-cache');
    const c = await connect(u.url);
    try {
      const ch = await openChannel(c);
      await ch.assertQueue('partA-idle', T);
      await admin.clearPermissions(u.name, vhost);
      // the passing of time is the behaviour under test: RabbitMQ drops a channel's cache when the
      // channel process hibernates, about 1 s after its last work (measured: cached at 0.7 s, gone at 1.5 s)
      await sleep(1500);
      await expectChannelError(
        ch,
        () => ch.assertQueue('partA-idle', T),
        { code: 403, text: `ACCESS_REFUSED - access to queue 'partA-idle' in vhost '${vhost}' refused for user '${u.name}'`, classId: 50, methodId: 10 },
        c,
      );
    } finally {
      await closeQuietly(c);
    }
  });

  test('granting permissions applies at once to an open connection', async (t) => {
    if (skip) return t.skip(skip);
    const u = await newUser('granted');
    await admin.setPermissions(u.name, vhost, '^partA-first$', '', '');
    const c = await connect(u.url);
    try {
      const ch = await openChannel(c);
      await ch.assertQueue('partA-first', T);
      await admin.setPermissions(u.name, vhost, '^partA-', '', '');
      await withTimeout(ch.assertQueue('partA-second', T), TIMEOUT_MS, 'declare allowed by the new permissions');
    } finally {
      await closeQuietly(c);
    }
  });

  test('a changed password leaves open connections alone; the old password no longer logs in', async (t) => {
    if (skip) return t.skip(skip);
    const u = await newUser('repass');
    const open = await connect(u.url);
    try {
      await admin.changePassword(u.name, 'second-secret');
      const ch = await openChannel(open);
      await withTimeout(ch.checkExchange('amq.direct'), TIMEOUT_MS, 'the open connection keeps working');
      await assert.rejects(connect(u.url), /ACCESS[_-]REFUSED/);
      await closeQuietly(await connect(amqpUrl(broker, u.name, 'second-secret', vhost)));
      assert.equal(isConnectionClosed(open), false, 'a password change must not close the connection');
    } finally {
      await closeQuietly(open);
    }
  });
});

describe('user_id', () => {
  test('a publish with another user_id is refused with 406; with its own, it is delivered', async (t) => {
    if (skip) return t.skip(skip);
    const u = await newUser('publisher');
    const c = await connect(u.url);
    try {
      const ch = await openChannel(c);
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      const { inbox } = await consume(ch, q, { noAck: true });
      ch.sendToQueue(q, Buffer.from('mine'), { userId: u.name });
      assert.equal((await inbox.next()).properties.userId, u.name);
      const bad = await openChannel(c);
      await expectChannelError(
        bad,
        () => bad.sendToQueue(q, Buffer.from('theirs'), { userId: 'someone-else' }),
        { code: 406, text: `PRECONDITION_FAILED - user_id property set to 'someone-else' but authenticated user was '${u.name}'`, classId: 60, methodId: 40 },
        c,
      );
    } finally {
      await closeQuietly(c);
    }
  });

  test('an impersonator may publish with any user_id; the tag counts as it was at login', async (t) => {
    if (skip) return t.skip(skip);
    const u = await newUser('impersonator', ['impersonator']);
    const c = await connect(u.url);
    try {
      const ch = await openConfirmChannel(c);
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      ch.sendToQueue(q, Buffer.from('as someone else'), { userId: 'someone-else' });
      await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirm of an impersonated publish');
      // dropping the tag does not change what this connection may do ...
      await admin.setTags(u.name, []);
      ch.sendToQueue(q, Buffer.from('still'), { userId: 'someone-else' });
      await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirm after the tag was removed');
    } finally {
      await closeQuietly(c);
    }
    // ... but a new connection no longer impersonates
    const again = await connect(u.url);
    try {
      const ch = await openChannel(again);
      await expectChannelError(
        ch,
        () => ch.publish('amq.direct', 'k', Buffer.from('x'), { userId: 'someone-else' }),
        { code: 406, text: `PRECONDITION_FAILED - user_id property set to 'someone-else' but authenticated user was '${u.name}'`, classId: 60, methodId: 40 },
        again,
      );
    } finally {
      await closeQuietly(again);
    }
  });
});
