// The management API's listeners, authentication and tag-based authorization, as RabbitMQ 3.10
// answers them: 401 with the realm for missing or wrong credentials, 401 "not_authorised" for a
// missing tag or a foreign vhost, 404 / 405 / 400 for unknown objects, methods and bodies; and the
// Unix socket warrenctl uses (mode 0600, no password, removed at stop).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../helpers/broker.js';
import { enc, makeUser, makeVhost, socketRequest, uniqueName, useMgmt } from './mgmt-helpers.js';

const b = useMgmt();

const NOT_FOUND = { error: 'Object Not Found', reason: 'Not Found' };

describe('listeners', () => {
  test("'auto' binds a free port, reported by Broker.managementPort", { skip: process.env.WARREN_TEST_MGMT_URL !== undefined }, async () => {
    const port = b.broker.warren?.managementPort ?? 0;
    assert.ok(port > 0, 'a port was bound');
    const r = await b.api.get('/api/overview');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('port 0 means no listener', { skip: process.env.WARREN_TEST_MGMT_URL !== undefined }, async () => {
    const other = await startBroker({ managementPort: 0, managementSocket: false });
    try {
      assert.equal(other.warren?.managementPort, 0);
    } finally {
      await other.stop();
    }
  });

  test('the root path serves the web UI; other non-API paths are 404', { skip: process.env.WARREN_TEST_MGMT_URL !== undefined }, async () => {
    const r = await b.api.as(null).get('/');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/html/);
    const other = await b.api.as(null).get('/nothing-here');
    assert.equal(other.status, 404);
  });
});

describe('authentication', () => {
  test('no credentials: a bare 401 with the management realm', async () => {
    const r = await b.api.as(null).get('/api/overview');
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="RabbitMQ Management"');
    assert.equal(r.text, '');
  });

  test('a wrong password: 401 not_authorized', async () => {
    const r = await b.api.as('guest', 'wrong').get('/api/overview');
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="RabbitMQ Management"');
    assert.deepEqual(r.body, { error: 'not_authorized', reason: 'Login failed' });
  });

  test('an unknown user: 401 not_authorized', async () => {
    const r = await b.api.as(uniqueName('nobody'), 'x').get('/api/whoami');
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: 'not_authorized', reason: 'Login failed' });
  });

  test('a user without a management tag is refused after its password was accepted', async (t) => {
    const u = await makeUser(b.api, '');
    t.after(() => u.remove());
    const r = await u.api.get('/api/whoami');
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: 'not_authorised', reason: 'Not management user' });
  });

  test('whoami names the user and its tags', async (t) => {
    const u = await makeUser(b.api, 'management,policymaker');
    t.after(() => u.remove());
    const r = await u.api.get('/api/whoami');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: u.name, tags: ['management', 'policymaker'] });
  });
});

describe('authorization by tag', () => {
  test('administrator-only endpoints refuse a management user', async (t) => {
    const u = await makeUser(b.api, 'management', { '/': '.*' });
    t.after(() => u.remove());
    for (const path of ['/api/users', '/api/permissions', '/api/definitions', `/api/users/guest`]) {
      const r = await u.api.get(path);
      assert.equal(r.status, 401, path);
      assert.deepEqual(r.body, { error: 'not_authorised', reason: 'Not administrator user' }, path);
    }
    const put = await u.api.put(`/api/vhosts/${enc(uniqueName('mgmt-never'))}`);
    assert.equal(put.status, 401);
    assert.deepEqual(put.body, { error: 'not_authorised', reason: 'Not administrator user' });
  });

  test('/api/nodes needs the monitoring tag', async (t) => {
    const m = await makeUser(b.api, 'management');
    const mon = await makeUser(b.api, 'monitoring');
    t.after(async () => {
      await m.remove();
      await mon.remove();
    });
    const refused = await m.api.get('/api/nodes');
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { error: 'not_authorised', reason: 'Not monitor user' });
    const allowed = await mon.api.get('/api/nodes');
    assert.equal(allowed.status, 200);
    assert.ok(Array.isArray(allowed.body) && allowed.body.length === 1, 'one node');
  });

  test('a management user sees only the vhosts it has permissions on', async (t) => {
    const mine = await makeVhost(b.api);
    const foreign = await makeVhost(b.api);
    const u = await makeUser(b.api, 'management', { [mine.name]: '.*' });
    t.after(async () => {
      await u.remove();
      await mine.remove();
      await foreign.remove();
    });
    for (const v of [mine.name, foreign.name]) {
      assert.equal((await b.api.put(`/api/queues/${enc(v)}/q1`, { durable: false })).status, 201);
    }
    const vhosts = (await u.api.get('/api/vhosts')).body as { name: string }[];
    assert.deepEqual(
      vhosts.map((v) => v.name),
      [mine.name],
    );
    const queues = (await u.api.get('/api/queues')).body as { vhost: string }[];
    assert.deepEqual([...new Set(queues.map((q) => q.vhost))], [mine.name]);

    const refused = await u.api.get(`/api/queues/${enc(foreign.name)}`);
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { error: 'not_authorised', reason: 'User not authorised to access virtual host' });
    const refusedOne = await u.api.get(`/api/queues/${enc(foreign.name)}/q1`);
    assert.equal(refusedOne.status, 401);
    const seen = await u.api.get(`/api/queues/${enc(mine.name)}/q1`);
    assert.equal(seen.status, 200);
  });

  test("a monitoring user sees every vhost and the broker's totals, but only its vhosts' objects", async (t) => {
    const v = await makeVhost(b.api);
    const mon = await makeUser(b.api, 'monitoring');
    t.after(async () => {
      await mon.remove();
      await v.remove();
    });
    assert.equal((await b.api.put(`/api/queues/${enc(v.name)}/q1`, { durable: false })).status, 201);
    const names = ((await mon.api.get('/api/vhosts')).body as { name: string }[]).map((x) => x.name);
    assert.ok(names.includes(v.name) && names.includes('/'), `monitoring sees all vhosts (${names.join(', ')})`);
    assert.deepEqual((await mon.api.get('/api/queues')).body, []);
    assert.deepEqual((await mon.api.get('/api/exchanges')).body, []);
    assert.equal((await mon.api.get(`/api/queues/${enc(v.name)}`)).status, 401);
    const overview = (await mon.api.get('/api/overview')).body as { object_totals: { queues: number }; node?: string };
    assert.ok(overview.object_totals.queues >= 1, 'totals over all vhosts');
    assert.equal(typeof overview.node, 'string');
    // a single vhost is for administrators
    const one = await mon.api.get(`/api/vhosts/${enc(v.name)}`);
    assert.equal(one.status, 401);
    assert.deepEqual(one.body, { error: 'not_authorised', reason: 'Not administrator user' });
  });

  test('a management user gets its own vhosts\' totals, without node and listeners', async (t) => {
    const v = await makeVhost(b.api);
    const u = await makeUser(b.api, 'management', { [v.name]: '.*' });
    t.after(async () => {
      await u.remove();
      await v.remove();
    });
    const o = (await u.api.get('/api/overview')).body as Record<string, unknown>;
    assert.equal('node' in o, false);
    assert.equal('listeners' in o, false);
    assert.deepEqual(o.object_totals, { channels: 0, connections: 0, exchanges: 7, queues: 0 });
  });

  test('an HTTP declare needs the configure permission: 401 Access refused.', async (t) => {
    const u = await makeUser(b.api, 'management');
    t.after(() => u.remove());
    const grant = await b.api.put(`/api/permissions/%2F/${enc(u.name)}`, { configure: '^allowed-', write: '.*', read: '.*' });
    assert.equal(grant.status, 201);
    const refused = await u.api.put(`/api/queues/%2F/${enc(uniqueName('mgmt-denied'))}`, { durable: false });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { error: 'not_authorised', reason: 'Access refused.' });
    const name = uniqueName('allowed-');
    const ok = await u.api.put(`/api/queues/%2F/${enc(name)}`, { durable: false });
    assert.equal(ok.status, 201);
    assert.equal((await b.api.delete(`/api/queues/%2F/${enc(name)}`)).status, 204);
  });
});

describe('errors', () => {
  test('unknown objects and vhosts: 404 Object Not Found', async () => {
    for (const path of ['/api/queues/%2F/no-such-queue', '/api/exchanges/%2F/no-such-exchange', `/api/vhosts/${enc(uniqueName('nov'))}`, '/api/users/no-such-user', `/api/queues/${enc(uniqueName('nov'))}`]) {
      const r = await b.api.get(path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.body, NOT_FOUND, path);
    }
  });

  test('a method the path does not support: 405', async () => {
    const r = await b.api.delete('/api/overview');
    assert.equal(r.status, 405);
  });

  test('a body that is not JSON: 400 not_json', async () => {
    const r = await b.api.req('PUT', `/api/queues/%2F/${enc(uniqueName('mgmt-badjson'))}`, '{"durable":');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { error: 'bad_request', reason: 'not_json' });
  });

  test('missing mandatory keys: 400 naming them', async () => {
    const r = await b.api.put(`/api/permissions/%2F/guest`, { configure: '.*' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { error: 'bad_request', reason: '[{key_missing,write},{key_missing,read}]' });
  });
});

describe('the Unix socket (warrenctl)', { skip: process.env.WARREN_TEST_MGMT_URL !== undefined }, () => {
  test('is private to the broker user and needs no password', async () => {
    const path = join(b.broker.dataDir as string, 'warren.sock');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const who = await socketRequest(path, 'GET', '/api/whoami');
    assert.equal(who.status, 200);
    assert.deepEqual(who.body, { name: 'rmq-cli', tags: ['administrator'] });
    const users = await socketRequest(path, 'GET', '/api/users');
    assert.equal(users.status, 200);
  });

  test('a stale socket file is replaced at start and removed at stop', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-mgmt-'));
    const path = join(dataDir, 'warren.sock');
    // a socket file nobody listens on: link it, then close (and unlink) the original
    const tmp = join(dataDir, 'old.sock');
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(tmp, resolve));
    linkSync(tmp, path);
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const other = await startBroker({ dataDir, managementPort: 0 });
    try {
      const r = await socketRequest(path, 'GET', '/api/overview');
      assert.equal(r.status, 200);
    } finally {
      await other.warren?.stop();
    }
    assert.equal(existsSync(path), false, 'the socket is removed at stop');
    await other.stop();
  });
});
