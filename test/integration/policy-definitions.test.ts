// Policies are definitions: they are exported and imported (RabbitMQ's "policies" entries; Warren
// also keeps operator policies under "operator_policies"), a bad one refuses the whole import, and
// they survive a restart and apply again to the recovered queues.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/index.js';
import { AdminError } from '../../src/admin.js';

const external = !!process.env.WARREN_TEST_AMQP_URL;

/**
 * A data dir for the test, removed after it; brokers started in it with start() are stopped first
 * (node:test runs after-hooks in the order they were added, so one hook does both in order).
 */
function dataDirs(t: { after(fn: () => Promise<void>): void }): { dir(): Promise<string>; start(dir: string): Promise<Broker> } {
  const dirs: string[] = [];
  const brokers: Broker[] = [];
  t.after(async () => {
    for (const b of brokers) await b.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return {
    async dir() {
      const d = await mkdtemp(join(tmpdir(), 'warren-partG-policies-'));
      dirs.push(d);
      return d;
    },
    async start(dataDir: string) {
      const b = await Broker.start({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', managementPort: 0 });
      brokers.push(b);
      return b;
    },
  };
}

describe('policies in definitions', { skip: external && 'exports and restarts an in-process Warren' }, () => {
  test('export shows them in RabbitMQ form; import into another broker applies them', async (t) => {
    const env = dataDirs(t);
    const a = await env.start(await env.dir());
    a.admin.setPolicy(false, '/', 'partG-limit', { pattern: '^partG-', definition: { 'max-length': 2 }, priority: 3, applyTo: 'queues' });
    a.admin.setPolicy(true, '/', 'partG-op', { pattern: '^partG-', definition: { 'message-ttl': 60000 } });
    const d = a.exportDefinitions();
    assert.deepEqual(d.policies, [{ vhost: '/', name: 'partG-limit', pattern: '^partG-', 'apply-to': 'queues', definition: { 'max-length': 2 }, priority: 3 }]);
    assert.deepEqual(d.operator_policies, [{ vhost: '/', name: 'partG-op', pattern: '^partG-', 'apply-to': 'all', definition: { 'message-ttl': 60000 }, priority: 0 }]);

    const b = await env.start(await env.dir());
    b.importDefinitions({ ...d, queues: [{ name: 'partG-imported', vhost: '/', durable: true, auto_delete: false, arguments: {} }] });
    const q = b.vhosts.get('/')?.queues.get('partG-imported');
    assert.equal(q?.policyName, 'partG-limit', 'the imported queue has the imported policy');
    assert.equal(q?.operatorPolicyName, 'partG-op');
    assert.equal(q?.limits.maxLength, 2);
    assert.equal(q?.limits.messageTtl, 60000);
  });

  test('an invalid policy refuses the import, and nothing of it is applied', async (t) => {
    const env = dataDirs(t);
    const a = await env.start(await env.dir());
    assert.throws(
      () =>
        a.importDefinitions({
          policies: [
            { vhost: '/', name: 'partG-ok', pattern: '.', definition: { 'max-length': 1 }, priority: 0, 'apply-to': 'all' },
            { vhost: '/', name: 'partG-bad', pattern: '.', definition: { 'max-lengthx': 1 }, priority: 0, 'apply-to': 'all' },
          ],
        }),
      (e: unknown) => e instanceof AdminError && e.kind === 'bad_request' && /not recognised policy settings/.test(e.message),
      'a bad_request naming the problem',
    );
    assert.equal(a.admin.listPolicies(false).length, 0, 'the valid one was not applied either');
  });

  test('policies survive a restart and apply to the recovered durable queue', async (t) => {
    const env = dataDirs(t);
    const dir = await env.dir();
    let b = await env.start(dir);
    const v = b.vhosts.get('/');
    v?.declareQueue('partG-durable', false, { durable: true, exclusive: false, autoDelete: false, arguments: {} }, null);
    b.admin.setPolicy(false, '/', 'partG-keep', { pattern: '^partG-durable$', definition: { 'max-length': 7, 'queue-mode': 'lazy' }, applyTo: 'queues' });
    b.admin.setPolicy(true, '/', 'partG-op-keep', { pattern: '^partG-durable$', definition: { 'max-length': 5 } });
    await b.admin.durable();
    await b.stop(); // stopping twice (again in the cleanup) is harmless
    b = await env.start(dir);
    assert.deepEqual(
      b.admin.listPolicies(false).map((p) => [p.name, p.definition]),
      [['partG-keep', { 'max-length': 7, 'queue-mode': 'lazy' }]],
    );
    const q = b.vhosts.get('/')?.queues.get('partG-durable');
    assert.equal(q?.policyName, 'partG-keep');
    assert.equal(q?.operatorPolicyName, 'partG-op-keep');
    assert.equal(q?.limits.maxLength, 5, 'the operator policy is stricter');
  });

  test('deleting a vhost deletes its policies', async (t) => {
    const env = dataDirs(t);
    const b = await env.start(await env.dir());
    b.admin.addVhost('partG-vh');
    b.admin.setPolicy(false, 'partG-vh', 'p', { pattern: '.', definition: { 'max-length': 1 } });
    b.admin.deleteVhost('partG-vh');
    b.admin.addVhost('partG-vh');
    assert.deepEqual(b.admin.listPolicies(false, 'partG-vh'), []);
  });
});
