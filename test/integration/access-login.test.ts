// Logging in and opening a vhost: users made through the admin interface log in with PLAIN and
// AMQPLAIN; wrong, blank and cleared passwords are refused as RabbitMQ refuses them (and, on
// Warren, only after a delay); connection.open is refused with 530 for an unknown vhost and for
// one the user has no permissions on. loopback_users: the address decision is tested as a unit
// (tests may only use 127.0.0.1, so a refused remote address cannot be produced over TCP), and the
// allowed loopback path over TCP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { TIMEOUT_MS, closeQuietly, connect, openChannel, withTimeout } from '../helpers/amqp-helpers.js';
import { M, RawClient, amqplainResponse, clientProperties, enc, plainResponse } from '../helpers/raw-client.js';
import { type AccessAdmin, accessAdmin, adminProblem, amqpUrl, partName } from './access-admin.js';

let broker: TestBroker;
let admin: AccessAdmin;
let skip: string | null = null;
let vhost: string;
let user: string;
const PASSWORD = 'login-secret';

before(async () => {
  broker = await startBroker();
  skip = adminProblem(broker);
  if (skip) return;
  admin = accessAdmin(broker);
  vhost = partName('login');
  await admin.addVhost(vhost);
  user = partName('login-user');
  await admin.addUser(user, PASSWORD, ['management']);
  await admin.setPermissions(user, vhost, '.*', '.*', '.*');
});

after(async () => {
  await admin?.cleanup();
  await broker?.stop();
});

/** Header, start, start-ok with the given mechanism and response; returns the client after start-ok. */
async function startOk(mechanism: string, response: Buffer): Promise<RawClient> {
  const c = await RawClient.connect(broker.host, broker.port);
  c.sendHeader();
  await c.expectMethod(0, M.connectionStart);
  c.sendMethod(0, M.connectionStartOk, enc.startOk({ clientProperties: clientProperties(), mechanism, response }));
  return c;
}

/** Logs in, then sends tune-ok and connection.open for the vhost. */
async function openVhost(name: string, password: string, vh: string): Promise<RawClient> {
  const c = await startOk('PLAIN', plainResponse(name, password));
  await c.expectMethod(0, M.connectionTune);
  c.sendMethod(0, M.connectionTuneOk, enc.tuneOk(2047, 131072, 0));
  c.sendMethod(0, M.connectionOpen, enc.open(vh));
  return c;
}

const LOGIN_REFUSED = (mechanism: string) => ({
  replyCode: 403,
  replyText: `ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
  classId: 0,
  methodId: 0,
});

describe('login', () => {
  test('a user made through the admin interface logs in with PLAIN and with AMQPLAIN', async (t) => {
    if (skip) return t.skip(skip);
    const plain = await connect(amqpUrl(broker, user, PASSWORD, vhost));
    try {
      const ch = await openChannel(plain);
      await withTimeout(ch.assertQueue('', { exclusive: true }), TIMEOUT_MS, 'declare after a PLAIN login');
    } finally {
      await closeQuietly(plain);
    }
    const url = amqpUrl(broker, 'ignored', 'ignored', vhost);
    const amqplain = await withTimeout(amqp.connect(url, { credentials: amqp.credentials.amqplain(user, PASSWORD) }), TIMEOUT_MS, 'AMQPLAIN login');
    try {
      await withTimeout(amqplain.createChannel(), TIMEOUT_MS, 'channel after an AMQPLAIN login');
    } finally {
      await amqplain.close();
    }
  });

  test('a wrong password is refused with 403 after a delay, and the socket then closes', async (t) => {
    if (skip) return t.skip(skip);
    for (const [mechanism, response] of [
      ['PLAIN', plainResponse(user, 'wrong')],
      ['AMQPLAIN', amqplainResponse(user, 'wrong')],
    ] as const) {
      const t0 = Date.now();
      const c = await startOk(mechanism, response);
      try {
        assert.deepEqual(await c.expectConnectionClose(403), LOGIN_REFUSED(mechanism));
        // Warren answers a failed login only after FAILED_LOGIN_DELAY_MS (500 ms), to slow guessing
        if (!broker.external) assert.ok(Date.now() - t0 >= 450, `refusal came after ${Date.now() - t0} ms, expected >= 450`);
        await c.waitForSocketClose(5000);
      } finally {
        c.destroy();
      }
    }
  });

  test('a refused login is logged with the peer address and the reason the client is not told', async (t) => {
    if (broker.external) return t.skip("reads Warren's log");
    const { pino } = await import('pino');
    const lines: string[] = [];
    const logged = await startBroker({ logger: pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) }) });
    try {
      logged.warren?.admin.addUser('partA-logged', 'logged-secret');
      const c = await RawClient.connect(logged.host, logged.port);
      try {
        c.sendHeader();
        await c.expectMethod(0, M.connectionStart);
        c.sendMethod(0, M.connectionStartOk, enc.startOk({ clientProperties: clientProperties(), mechanism: 'PLAIN', response: plainResponse('partA-logged', 'wrong') }));
        await c.expectConnectionClose(403);
      } finally {
        c.destroy();
      }
      const entry = lines.map((l) => JSON.parse(l) as { msg?: string; peer?: string }).find((e) => e.msg?.includes('login refused'));
      assert.ok(entry, `a "login refused" warning in the log: ${lines.join('')}`);
      assert.equal(entry.msg, "PLAIN login refused: user 'partA-logged' - invalid credentials");
      assert.match(entry.peer ?? '', /^(::ffff:)?127\.0\.0\.1:\d+$/, 'the peer address and port');
    } finally {
      await logged.stop();
    }
  });

  test('an unknown user, a blank password and a cleared password are refused the same way', async (t) => {
    if (skip) return t.skip(skip);
    const cleared = partName('cleared');
    await admin.addUser(cleared, 'was-set');
    await admin.setPermissions(cleared, vhost, '.*', '.*', '.*');
    await admin.clearPassword(cleared);
    for (const [name, password] of [
      [partName('nobody'), 'x'],
      [user, ''],
      [cleared, 'was-set'],
      [cleared, ''],
    ]) {
      const c = await startOk('PLAIN', plainResponse(name as string, password as string));
      try {
        assert.deepEqual(await c.expectConnectionClose(403), LOGIN_REFUSED('PLAIN'), `login of '${name}' with password '${password}'`);
      } finally {
        c.destroy();
      }
    }
  });
});

describe('connection.open', () => {
  test('an unknown vhost is refused with 530 NOT_ALLOWED', async (t) => {
    if (skip) return t.skip(skip);
    const missing = partName('no-such-vhost');
    const c = await openVhost(user, PASSWORD, missing);
    try {
      assert.deepEqual(await c.expectConnectionClose(530), { replyCode: 530, replyText: `NOT_ALLOWED - vhost ${missing} not found`, classId: 10, methodId: 40 });
    } finally {
      c.destroy();
    }
  });

  test('a vhost the user has no permissions on is refused with 530 NOT_ALLOWED', async (t) => {
    if (skip) return t.skip(skip);
    const other = partName('other-vhost');
    await admin.addVhost(other);
    const c = await openVhost(user, PASSWORD, other);
    try {
      assert.deepEqual(await c.expectConnectionClose(530), {
        replyCode: 530,
        replyText: `NOT_ALLOWED - access to vhost '${other}' refused for user '${user}'`,
        classId: 10,
        methodId: 40,
      });
    } finally {
      c.destroy();
    }
  });

  test('any permission entry opens the vhost, even one whose three patterns are empty', async (t) => {
    if (skip) return t.skip(skip);
    const empty = partName('empty-perms');
    await admin.addUser(empty, 'empty-secret');
    await admin.setPermissions(empty, vhost, '', '', '');
    const c = await connect(amqpUrl(broker, empty, 'empty-secret', vhost));
    await closeQuietly(c);
  });
});

describe('loopback_users', () => {
  test('the address decision: loopback addresses in every spelling Node reports, nothing else', async (t) => {
    if (broker.external) return t.skip('a unit test of Warren code');
    const { isLoopbackAddress, loopbackAllowed } = await import('../../src/auth/loopback.js');
    for (const a of ['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:127.9.8.7', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1', '::1%lo']) {
      assert.equal(isLoopbackAddress(a), true, `${a} is a loopback address`);
    }
    for (const a of [undefined, '', '10.0.0.1', '192.168.1.10', '128.0.0.1', '::2', '::', 'fe80::1', '::ffff:10.0.0.1', '::ffff:a00:1', '2001:db8::1', 'localhost', '127.0.0.1.evil']) {
      assert.equal(isLoopbackAddress(a), false, `${String(a)} is not a loopback address`);
    }
    assert.equal(loopbackAllowed('guest', '10.0.0.5', ['guest']), false, 'guest from a remote address');
    assert.equal(loopbackAllowed('guest', '127.0.0.1', ['guest']), true, 'guest over loopback');
    assert.equal(loopbackAllowed('alice', '10.0.0.5', ['guest']), true, 'a user not in loopback_users');
    assert.equal(loopbackAllowed('guest', '10.0.0.5', []), true, 'loopback_users = none');
  });

  test('a loopback user connects over 127.0.0.1', async (t) => {
    if (broker.external) return t.skip('needs a broker started with loopbackUsers');
    const local = await startBroker({ loopbackUsers: ['guest', 'partA-local'] });
    try {
      local.warren?.admin.addUser('partA-local', 'local-secret');
      local.warren?.admin.setPermissions('partA-local', '/', { configure: '.*', write: '.*', read: '.*' });
      for (const [name, password] of [
        ['guest', 'guest'],
        ['partA-local', 'local-secret'],
      ]) {
        const c = await connect(amqpUrl(local, name as string, password as string, '/'));
        const ch = await openChannel(c);
        await withTimeout(ch.checkExchange('amq.direct'), TIMEOUT_MS, 'a method after a loopback login');
        await closeQuietly(c);
      }
    } finally {
      await local.stop();
    }
  });
});
