// Whole-broker endpoints: /api/overview, /api/nodes, the health checks (200, or 503 during an
// alarm), /api/aliveness-test, /metrics in Prometheus text, and Warren's own endpoints for
// warrenctl (status, stop_app / start_app, reset, stop).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect, closeQuietly, connectionClosed, scope } from '../helpers/amqp-helpers.js';
import { startBroker } from '../helpers/broker.js';
import { Api, enc, type Json, makeUser, startMgmt, uniqueName, until, useMgmt } from './mgmt-helpers.js';

const EXTERNAL = process.env.WARREN_TEST_MGMT_URL !== undefined;

const b = useMgmt();

describe('overview and nodes', () => {
  test('overview carries totals, versions and the node', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-ov');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('x'));
    const o = await until(async () => {
      const v = (await b.api.get('/api/overview')).body as Json;
      const totals = v.object_totals as Json;
      return (totals.queues as number) >= 1 && ((v.queue_totals as Json).messages as number) >= 1 ? v : undefined;
    }, 'overview totals');
    for (const key of ['management_version', 'rabbitmq_version', 'product_name', 'product_version', 'node', 'cluster_name', 'exchange_types', 'listeners', 'object_totals', 'queue_totals', 'message_stats', 'rates_mode']) {
      assert.ok(key in o, `key ${key}`);
    }
    const totals = o.object_totals as Json;
    for (const key of ['channels', 'connections', 'consumers', 'exchanges', 'queues']) assert.equal(typeof totals[key], 'number', key);
    assert.ok((totals.connections as number) >= 1, 'our connection counted');
    const listeners = o.listeners as Json[];
    assert.ok(
      listeners.some((l) => l.protocol === 'amqp'),
      'the AMQP listener is listed',
    );
    assert.ok(
      (o.exchange_types as Json[]).some((x) => x.name === 'topic'),
      'exchange types',
    );
  });

  test('nodes: one running node, also by name', async () => {
    const nodes = (await b.api.get('/api/nodes')).body as Json[];
    assert.equal(nodes.length, 1);
    const n = nodes[0] as Json;
    assert.equal(n.running, true);
    for (const key of ['name', 'type', 'mem_used', 'mem_limit', 'mem_alarm', 'disk_free', 'disk_free_limit', 'disk_free_alarm', 'uptime', 'os_pid', 'processors']) assert.ok(key in n, `key ${key}`);
    const one = await b.api.get(`/api/nodes/${enc(String(n.name))}`);
    assert.equal(one.status, 200);
    // RabbitMQ 3.10 crashes (500) on an unknown node; Warren answers 404
    if (!EXTERNAL) assert.equal((await b.api.get('/api/nodes/nobody@nowhere')).status, 404);
  });
});

describe('health checks', () => {
  test('alarms: 200 without an alarm, 503 naming it while one is in effect', { skip: EXTERNAL }, async () => {
    assert.deepEqual((await b.api.get('/api/health/checks/alarms')).body, { status: 'ok' });
    assert.deepEqual((await b.api.get('/api/health/checks/local-alarms')).body, { status: 'ok' });
    const warren = b.broker.warren;
    assert.ok(warren, 'in-process broker');
    warren.setAlarm('disk', 'low on disk');
    try {
      const r = await b.api.get('/api/health/checks/alarms');
      assert.equal(r.status, 503);
      const body = r.body as Json;
      assert.equal(body.status, 'failed');
      assert.equal(body.reason, 'There are alarms in effect in the cluster');
      assert.deepEqual(
        (body.alarms as Json[]).map((a) => a.resource),
        ['disk'],
      );
      const node = (await b.api.get('/api/nodes')).body as Json[];
      assert.equal(node[0]?.disk_free_alarm, true);
    } finally {
      warren.clearAlarm('disk');
    }
    assert.equal((await b.api.get('/api/health/checks/alarms')).status, 200);
  });

  test('port and protocol listener checks', { skip: EXTERNAL }, async () => {
    const port = b.broker.port;
    assert.deepEqual((await b.api.get(`/api/health/checks/port-listener/${port}`)).body, { status: 'ok', port });
    const missing = await b.api.get('/api/health/checks/port-listener/1');
    assert.equal(missing.status, 503);
    assert.equal((missing.body as Json).reason, 'No active listener');
    assert.deepEqual((await b.api.get('/api/health/checks/protocol-listener/amqp')).body, { status: 'ok', protocol: 'amqp' });
    assert.equal((await b.api.get('/api/health/checks/virtual-hosts')).status, 200);
  });

  test('aliveness-test declares, publishes and gets a message', async () => {
    const r = await b.api.get('/api/aliveness-test/%2F');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok' });
    const q = await b.api.get('/api/queues/%2F/aliveness-test');
    assert.equal(q.status, 200);
    // RabbitMQ shows the counts with its next statistics event
    assert.equal((q.body as Json).messages ?? 0, 0);
    await b.api.delete('/api/queues/%2F/aliveness-test');
    assert.equal((await b.api.get(`/api/aliveness-test/${enc(uniqueName('nov'))}`)).status, 404);
  });
});

describe('metrics', { skip: EXTERNAL }, () => {
  test('/metrics: RabbitMQ metric names in Prometheus text, without authentication', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-metrics');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    await until(async () => ((await b.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json).messages === 2, 'messages counted');
    const r = await b.api.as(null).get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(r.text, /^# TYPE rabbitmq_queue_messages_ready gauge$/m);
    const ready = /^rabbitmq_queue_messages_ready (\d+)$/m.exec(r.text);
    assert.ok(ready && Number(ready[1]) >= 2, 'aggregated ready messages');
    assert.match(r.text, /^rabbitmq_connections \d+$/m);
    assert.match(r.text, /^rabbitmq_queue_messages_unacked \d+$/m);
    const per = await b.api.as(null).get('/metrics/per-object');
    assert.ok(per.text.includes(`rabbitmq_queue_messages_ready{vhost="/",queue="${q}"} 2`), 'per-queue series');
  });

  test('message rates are sampled: *_details.rate rises while messages flow', async (t) => {
    const { statsConfig } = await import('../../src/mgmt/stats.js');
    const saved = statsConfig.intervalMs;
    statsConfig.intervalMs = 200;
    const fast = await startMgmt();
    statsConfig.intervalMs = saved;
    const s = scope(t, fast.amqpUrl);
    t.after(() => fast.stop()); // after the scope's cleanup, which needs the broker
    const ch = await s.channel();
    const q = s.queue('mgmt-rate');
    await ch.assertQueue(q, { durable: false });
    const timer = setInterval(() => ch.sendToQueue(q, Buffer.from('r')), 5);
    let v: Json;
    try {
      v = await until(async () => {
        const x = (await fast.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json;
        const rate = ((x.message_stats as Json | undefined)?.publish_details as Json | undefined)?.rate as number | undefined;
        return rate !== undefined && rate > 0 ? x : undefined;
      }, 'a positive publish rate');
    } finally {
      clearInterval(timer);
    }
    assert.ok(((v.messages_details as Json).rate as number) > 0, 'the queue grows');
  });
});

describe('warren endpoints (warrenctl)', { skip: EXTERNAL }, () => {
  test('status describes the node', async () => {
    const r = await b.api.get('/api/warren/status');
    assert.equal(r.status, 200);
    const s = r.body as Json;
    assert.equal(s.pid, process.pid);
    assert.equal(s.product, 'Warren');
    assert.equal(s.app_running, true);
    assert.equal(s.data_dir, b.broker.dataDir);
    assert.equal(typeof s.uptime_ms, 'number');
    assert.deepEqual(s.alarms, []);
    assert.equal(typeof (s.memory as Json).rss, 'number');
    const listeners = s.listeners as Json[];
    assert.ok(
      listeners.some((l) => l.protocol === 'amqp' && l.port === b.broker.port),
      'amqp listener',
    );
    assert.ok(
      listeners.some((l) => l.protocol === 'http' && l.port === b.broker.warren?.managementPort),
      'http listener',
    );
  });

  test('only administrators reach them', async (t) => {
    const u = await makeUser(b.api, 'monitoring');
    t.after(() => u.remove());
    const r = await u.api.get('/api/warren/status');
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: 'not_authorised', reason: 'Not administrator user' });
  });

  test('authenticate checks credentials whatever the tags', async (t) => {
    const u = await makeUser(b.api, '');
    t.after(() => u.remove());
    const ok = await u.api.get('/api/warren/authenticate');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { name: u.name, tags: [] });
    assert.equal((await b.api.as(u.name, 'wrong').get('/api/warren/authenticate')).status, 401);
  });

  test('stop_app closes AMQP, reset needs it, start_app reopens', async () => {
    const own = await startMgmt();
    try {
      const conn = await connect(own.amqpUrl);
      const closed = connectionClosed(conn);
      await own.api.put('/api/queues/%2F/mgmt-survivor', { durable: true });
      const refused = await own.api.post('/api/warren/reset');
      assert.equal(refused.status, 409);
      assert.equal((refused.body as Json).error, 'app_running');
      assert.equal((await own.api.post('/api/warren/stop_app')).status, 204);
      assert.equal((await closed)?.code, 320);
      assert.equal(((await own.api.get('/api/warren/status')).body as Json).app_running, false);
      assert.equal((await own.api.post('/api/warren/reset')).status, 204);
      assert.equal((await own.api.get('/api/queues/%2F/mgmt-survivor')).status, 404);
      assert.equal((await own.api.post('/api/warren/start_app')).status, 204);
      const again = await connect(own.amqpUrl);
      await closeQuietly(again);
    } finally {
      await own.stop();
    }
  });

  test('stop answers 204, then the broker stops', async () => {
    const own = await startBroker({ managementPort: 'auto' });
    const warren = own.warren;
    assert.ok(warren, 'in-process broker');
    const stopped = new Promise<void>((resolve) => {
      warren.requestStop = () => {
        void warren.stop('stop requested').then(resolve);
      };
    });
    try {
      const api = new Api(`http://127.0.0.1:${warren.managementPort}`);
      assert.equal((await api.post('/api/warren/stop')).status, 204);
      await stopped;
      await assert.rejects(api.get('/api/overview'), 'the API is gone');
    } finally {
      await own.stop();
    }
  });
});
