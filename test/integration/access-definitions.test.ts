// Definitions: a file exported from a real RabbitMQ 3.10 (test/fixtures/rabbitmq-3.10-definitions.json,
// made as docs/access-control.md describes) imports into Warren, its users log in with their
// passwords and get exactly their permissions, and nothing of it is lost on export (policies and
// topic permissions included); export → import into a fresh broker → export gives the same
// definitions; users, vhosts, permissions and tags survive a restart.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Broker } from '../../src/broker.js';
import type { DefinitionsFile } from '../../src/store/definitions.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { TIMEOUT_MS, closeQuietly, connect, connectionClosed, expectChannelError, openChannel, openConfirmChannel, withTimeout } from '../helpers/amqp-helpers.js';
import { amqpUrl } from './access-admin.js';

const FIXTURE = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'rabbitmq-3.10-definitions.json');
const PROD = 'partA-fixture-prod';
const DEV = 'partA-fixture-dev';

let fixture: DefinitionsFile;
let external = false;

before(async () => {
  fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as DefinitionsFile;
  external = Boolean(process.env.WARREN_TEST_AMQP_URL);
});

type Entry = Record<string, unknown>;
const SECTIONS = ['users', 'vhosts', 'permissions', 'topic_permissions', 'parameters', 'policies', 'queues', 'exchanges', 'bindings'] as const;

/** A definitions section as a sorted list of canonical JSON strings (order and key order do not matter). */
function canonical(list: unknown): string[] {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Entry).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
    }
    return v;
  };
  return ((list as unknown[] | undefined) ?? []).map((e) => JSON.stringify(sortKeys(e))).sort();
}

/** The entries of a section that belong to this part's objects (the fixture holds only those, plus guest). */
function ours(list: unknown, key: string): Entry[] {
  return ((list as Entry[] | undefined) ?? []).filter((e) => String(e[key]).startsWith('partA-'));
}

async function withWarren<T>(fn: (b: TestBroker, w: Broker) => Promise<T>): Promise<T> {
  const b = await startBroker();
  try {
    return await fn(b, b.warren as Broker);
  } finally {
    await b.stop();
  }
}

describe('importing a RabbitMQ 3.10 export', () => {
  test('its users log in with their passwords and have exactly their permissions', async (t) => {
    if (external) return t.skip('imports into an in-process Warren');
    await withWarren(async (b, w) => {
      w.importDefinitions(fixture);
      await w.admin.durable();
      // alice: administrator, everything in both vhosts
      for (const v of [PROD, DEV]) await closeQuietly(await connect(amqpUrl(b, 'partA-alice', 'alice-secret', v)));
      assert.deepEqual(w.admin.user('partA-alice').tags, ['administrator']);
      assert.deepEqual(w.admin.user('partA-bob').tags.slice().sort(), ['management', 'monitoring']);
      // bob may configure only bob-* in prod
      const bob = await connect(amqpUrl(b, 'partA-bob', 'bob-secret', PROD));
      try {
        const ch = await openChannel(bob);
        await withTimeout(ch.assertQueue('bob-work', { durable: false }), TIMEOUT_MS, "bob's own queue");
        await expectChannelError(
          ch,
          () => ch.assertQueue('orders', { durable: true }),
          { code: 403, text: `ACCESS_REFUSED - access to queue 'orders' in vhost '${PROD}' refused for user 'partA-bob'`, classId: 50, methodId: 10 },
          bob,
        );
        // bob's topic permission on amq.topic: routing keys starting "bob." only
        const pub = await openConfirmChannel(bob);
        pub.publish('amq.topic', 'bob.ok', Buffer.from('x'));
        await withTimeout(pub.waitForConfirms(), TIMEOUT_MS, 'an allowed topic publish');
        await expectChannelError(
          pub,
          () => pub.publish('amq.topic', 'alice.no', Buffer.from('x')),
          { code: 403, text: `ACCESS_REFUSED - access to topic 'alice.no' in exchange 'amq.topic' in vhost '${PROD}' refused for user 'partA-bob'`, classId: 60, methodId: 40 },
          bob,
        );
      } finally {
        await closeQuietly(bob);
      }
      // guest now has RabbitMQ's hash of its password, which Warren checks the same way
      await closeQuietly(await connect(amqpUrl(b, 'guest', 'guest', '/')));
      // a wrong password, and the user whose password RabbitMQ had cleared, are refused
      await assert.rejects(connect(amqpUrl(b, 'partA-alice', 'bob-secret', PROD)), /ACCESS[_-]REFUSED/);
      await assert.rejects(connect(amqpUrl(b, 'partA-nopass', '', DEV)), /ACCESS[_-]REFUSED/);
    });
  });

  test('its queues, exchanges and bindings work, with their arguments', async (t) => {
    if (external) return t.skip('imports into an in-process Warren');
    await withWarren(async (b, w) => {
      w.importDefinitions(fixture);
      const alice = await connect(amqpUrl(b, 'partA-alice', 'alice-secret', PROD));
      try {
        const ch = await openConfirmChannel(alice);
        // the same arguments redeclare without a 406; the bindings route as in RabbitMQ
        await ch.assertQueue('orders', { durable: true, arguments: (fixture.queues ?? []).find((q) => q.name === 'orders' && q.vhost === PROD)?.arguments });
        ch.publish('events', 'order.created', Buffer.from('o1'));
        ch.publish('amq.direct', 'orders', Buffer.from('o2'));
        await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirms');
        assert.equal((await ch.checkQueue('orders')).messageCount, 2);
      } finally {
        await closeQuietly(alice);
      }
    });
  });

  test('exporting gives back every section of the file (policies and topic permissions too)', async (t) => {
    if (external) return t.skip('imports into an in-process Warren');
    await withWarren(async (_b, w) => {
      w.importDefinitions(fixture);
      const out = w.exportDefinitions() as unknown as Record<string, unknown>;
      const f = fixture as unknown as Record<string, unknown>;
      for (const [section, key] of [
        ['users', 'name'],
        ['permissions', 'user'],
        ['topic_permissions', 'user'],
        ['policies', 'vhost'],
        ['queues', 'vhost'],
        ['exchanges', 'vhost'],
        ['bindings', 'vhost'],
      ] as const) {
        assert.deepEqual(canonical(ours(out[section], key)), canonical(ours(f[section], key)), `section ${section}`);
      }
      const vhosts = (out.vhosts as Entry[]).filter((v) => String(v.name).startsWith('partA-'));
      assert.deepEqual(canonical(vhosts), canonical(ours(f.vhosts, 'name')), 'section vhosts');
      assert.ok(ours(f.policies, 'vhost').length > 0, 'the fixture has a policy');
      assert.ok(ours(f.topic_permissions, 'user').length > 0, 'the fixture has a topic permission');
    });
  });

  test('a malformed file is refused as a bad request, and nothing of it is applied', async (t) => {
    if (external) return t.skip('imports into an in-process Warren');
    await withWarren(async (_b, w) => {
      const bad = { users: [{ name: 'partA-half', password_hash: 'x', tags: [] }], permissions: [{ user: 'partA-half', vhost: 'partA-missing', configure: '.*', write: '.*', read: '.*' }] };
      assert.throws(() => w.importDefinitions(bad as DefinitionsFile), (e: Error & { kind?: string }) => e.kind === 'bad_request' && /no such vhost 'partA-missing'/.test(e.message));
      assert.throws(() => w.importDefinitions({ users: 'nope' } as unknown as DefinitionsFile), (e: Error & { kind?: string }) => e.kind === 'bad_request');
      assert.equal(w.admin.users().some((u) => u.name === 'partA-half' && u.permissions.size > 0), false, 'no permission of the bad file was applied');
    });
  });
});

describe('round trips', () => {
  test('export → import into a fresh broker → export gives the same definitions', async (t) => {
    if (external) return t.skip('compares two in-process Warrens');
    const first = await withWarren(async (_b, w) => {
      w.importDefinitions(fixture);
      w.admin.addUser('partA-extra', 'extra-secret', ['policymaker', 'some-custom-tag']);
      w.admin.setPermissions('partA-extra', PROD, { configure: '^x', write: '', read: '.*' });
      return w.exportDefinitions();
    });
    const second = await withWarren(async (_b, w) => {
      w.importDefinitions(first);
      return w.exportDefinitions();
    });
    const a = first as unknown as Record<string, unknown>;
    const b = second as unknown as Record<string, unknown>;
    for (const s of SECTIONS) assert.deepEqual(canonical(b[s]), canonical(a[s]), `section ${s}`);
  });

  test('reset leaves only the first-boot default user and vhost', async (t) => {
    if (external) return t.skip('resets an in-process Warren');
    await withWarren(async (b, w) => {
      w.importDefinitions(fixture);
      const alice = await connect(amqpUrl(b, 'partA-alice', 'alice-secret', PROD));
      await w.admin.reset();
      assert.ok((await connectionClosed(alice)) !== null, 'open connections are closed by a reset');
      const d = w.exportDefinitions();
      assert.deepEqual(
        (d.users ?? []).map((u) => [u.name, u.tags]),
        [['guest', ['administrator']]],
      );
      assert.deepEqual(d.vhosts, [{ name: '/', metadata: { description: 'Default virtual host', tags: [] } }]);
      assert.deepEqual([d.permissions, d.topic_permissions, d.policies, d.queues], [[{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }], [], [], []]);
      await closeQuietly(await connect(b.url));
    });
  });

  test('users, vhosts, permissions, tags and policies survive a restart', async (t) => {
    if (external) return t.skip('restarts an in-process Warren');
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-access-'));
    const options = { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' as const, managementPort: 0 };
    try {
      const { Broker } = await import('../../src/index.js');
      let w = await Broker.start(options);
      let saved: DefinitionsFile;
      try {
        w.admin.addVhost('partA-persist', { description: 'kept', tags: ['t1'] });
        w.admin.addUser('partA-keeper', 'keeper-secret', ['monitoring', 'impersonator']);
        w.admin.setPermissions('partA-keeper', 'partA-persist', { configure: '^k', write: '^k', read: '.*' });
        w.admin.setTopicPermissions('partA-keeper', 'partA-persist', { exchange: 'amq.topic', write: '^k\\.', read: '.*' });
        w.admin.addUser('partA-gone', 'gone-secret');
        w.admin.deleteUser('partA-gone');
        w.importDefinitions({ policies: [{ vhost: 'partA-persist', name: 'partA-limit', pattern: '^k', 'apply-to': 'queues', definition: { 'max-length': 10 }, priority: 0 }] });
        await w.admin.durable();
        saved = w.exportDefinitions();
      } finally {
        await w.stop();
      }
      w = await Broker.start(options);
      try {
        const restarted = w.exportDefinitions() as unknown as Record<string, unknown>;
        const b = saved as unknown as Record<string, unknown>;
        for (const s of SECTIONS) assert.deepEqual(canonical(restarted[s]), canonical(b[s]), `section ${s} after the restart`);
        assert.deepEqual(w.admin.vhostMetadata('partA-persist'), { description: 'kept', tags: ['t1'] });
        assert.equal(w.admin.users().some((u) => u.name === 'partA-gone'), false, 'a deleted user stays deleted');
        const url = `amqp://partA-keeper:keeper-secret@127.0.0.1:${w.port}/partA-persist`;
        const c = await connect(url);
        await closeQuietly(c);
      } finally {
        await w.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
