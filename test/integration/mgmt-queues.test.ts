// Queues, exchanges and bindings through the management API, against objects made both by the API
// and by amqplib: their JSON (RabbitMQ's keys), declaring and deleting with RabbitMQ's status
// codes, purge, get, publish, and bindings e→q and e→e addressed by their properties_key.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { scope } from '../helpers/amqp-helpers.js';
import { enc, type Json, uniqueName, until, useMgmt } from './mgmt-helpers.js';

const b = useMgmt();

/** Deletes queues and exchanges made through the API when the test ends. */
function cleanup(t: { after(fn: () => Promise<void>): void }, kind: 'queues' | 'exchanges', name: string, vhost = '/'): string {
  t.after(async () => void (await b.api.delete(`/api/${kind}/${enc(vhost)}/${enc(name)}`)));
  return name;
}

describe('queues', () => {
  test('a queue declared with amqplib shows with RabbitMQ keys and counts', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-q');
    await ch.assertQueue(q, { durable: true, arguments: { 'x-max-length': 100 } });
    ch.sendToQueue(q, Buffer.from('one'));
    ch.sendToQueue(q, Buffer.from('two'));
    const r = await until(async () => {
      const x = await b.api.get(`/api/queues/%2F/${enc(q)}`);
      return (x.body as Json).messages === 2 ? x : undefined;
    }, 'queue stats');
    assert.equal(r.status, 200);
    const v = r.body as Json;
    for (const key of ['name', 'vhost', 'durable', 'auto_delete', 'exclusive', 'arguments', 'node', 'type', 'consumers', 'messages', 'messages_ready', 'messages_unacknowledged', 'memory', 'policy', 'consumer_details', 'messages_details', 'messages_ready_details']) {
      assert.ok(key in v, `key ${key}`);
    }
    assert.equal(v.name, q);
    assert.equal(v.vhost, '/');
    assert.equal(v.durable, true);
    assert.equal(v.auto_delete, false);
    assert.equal(v.exclusive, false);
    assert.deepEqual(v.arguments, { 'x-max-length': 100 });
    assert.equal(v.messages_ready, 2);
    assert.equal(v.messages_unacknowledged, 0);
    // RabbitMQ reports the state with its next statistics event, so it may lag
    if (!b.external) assert.equal(v.state, 'running');
    assert.equal(v.type, 'classic');
    assert.equal(typeof (v.messages_details as Json).rate, 'number');
    const stats = v.message_stats as Json;
    assert.equal(stats.publish, 2);
    assert.equal(typeof (stats.publish_details as Json).rate, 'number');
  });

  test('PUT creates (201), repeats (204), refuses a different definition (400) and DELETE removes (204)', async (t) => {
    const q = cleanup(t, 'queues', uniqueName('mgmt-put'));
    const path = `/api/queues/%2F/${enc(q)}`;
    const created = await b.api.put(path, { durable: true, auto_delete: false, arguments: { 'x-message-ttl': 5000 } });
    assert.equal(created.status, 201);
    assert.equal(created.text, '');
    assert.equal((await b.api.put(path, { durable: true, arguments: { 'x-message-ttl': 5000 } })).status, 204);
    const differs = await b.api.put(path, { durable: false });
    assert.equal(differs.status, 400);
    assert.deepEqual(differs.body, {
      error: 'bad_request',
      reason: `inequivalent arg 'durable' for queue '${q}' in vhost '/': received 'false' but current is 'true'`,
    });
    const shown = (await b.api.get(path)).body as Json;
    assert.equal(shown.durable, true);
    assert.deepEqual(shown.arguments, { 'x-message-ttl': 5000 });
    assert.equal((await b.api.delete(path)).status, 204);
    assert.equal((await b.api.get(path)).status, 404);
    assert.equal((await b.api.delete(path)).status, 404);
  });

  test('DELETE with if-empty refuses a queue with messages', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-ifempty');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('x'));
    await until(async () => ((await b.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json).messages === 1, 'message counted');
    const r = await b.api.delete(`/api/queues/%2F/${enc(q)}?if-empty=true`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { error: 'bad_request', reason: `queue '${q}' in vhost '/' not empty` });
  });

  test('a reserved amq. name is refused', async () => {
    const r = await b.api.put('/api/queues/%2F/amq.mgmt-reserved', { durable: false });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: 'not_authorised', reason: 'Access refused.' });
  });

  test('DELETE …/contents purges the ready messages', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-purge');
    await ch.assertQueue(q, { durable: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await until(async () => ((await b.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json).messages === 3, 'messages counted');
    assert.equal((await b.api.delete(`/api/queues/%2F/${enc(q)}/contents`)).status, 204);
    const check = await ch.checkQueue(q);
    assert.equal(check.messageCount, 0);
  });

  test('POST …/get returns messages, requeueing or removing them by ackmode', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-get');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('hello'), { contentType: 'text/plain', headers: { 'x-n': 1 }, deliveryMode: 2 });
    ch.sendToQueue(q, Buffer.from([0xff, 0x00, 0x01]));
    await until(async () => ((await b.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json).messages === 2, 'messages counted');
    const path = `/api/queues/%2F/${enc(q)}/get`;
    const peek = await b.api.post(path, { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto' });
    assert.equal(peek.status, 200);
    const msgs = peek.body as Json[];
    assert.equal(msgs.length, 2);
    assert.deepEqual(msgs[0], {
      payload_bytes: 5,
      redelivered: false,
      exchange: '',
      routing_key: q,
      message_count: 1,
      properties: { content_type: 'text/plain', headers: { 'x-n': 1 }, delivery_mode: 2 },
      payload: 'hello',
      payload_encoding: 'string',
    });
    assert.equal(msgs[1]?.payload, Buffer.from([0xff, 0x00, 0x01]).toString('base64'));
    assert.equal(msgs[1]?.payload_encoding, 'base64');

    const truncated = await b.api.post(path, { count: 1, ackmode: 'reject_requeue_true', encoding: 'base64', truncate: 2 });
    const first = (truncated.body as Json[])[0] as Json;
    assert.equal(first.redelivered, true, 'requeued by the first get');
    assert.equal(first.payload, Buffer.from('he').toString('base64'));
    assert.equal(first.payload_bytes, 5);

    const take = await b.api.post(path, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.equal(((take.body as Json[])[0] as Json).payload, 'hello');
    const left = await ch.checkQueue(q);
    assert.equal(left.messageCount, 1);

    const missing = await b.api.post(path, { count: 1 });
    assert.equal(missing.status, 400);
  });

  test("a queue's bindings include the default exchange's", async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-qb');
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, 'amq.direct', 'rk');
    const r = await b.api.get(`/api/queues/%2F/${enc(q)}/bindings`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      { source: '', vhost: '/', destination: q, destination_type: 'queue', routing_key: q, arguments: {}, properties_key: q },
      { source: 'amq.direct', vhost: '/', destination: q, destination_type: 'queue', routing_key: 'rk', arguments: {}, properties_key: 'rk' },
    ]);
  });
});

describe('exchanges', () => {
  test('the built-in exchanges are listed, the default one named ""', async () => {
    const r = await b.api.get('/api/exchanges/%2F');
    assert.equal(r.status, 200);
    const names = (r.body as Json[]).map((e) => e.name);
    for (const n of ['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.rabbitmq.trace', 'amq.topic']) assert.ok(names.includes(n), `exchange '${n}'`);
    const def = await b.api.get('/api/exchanges/%2F/amq.default');
    assert.equal(def.status, 200);
    assert.equal((def.body as Json).name, '');
    assert.equal((def.body as Json).type, 'direct');
  });

  test('PUT, GET and DELETE an exchange; built-ins cannot be deleted', async (t) => {
    const x = cleanup(t, 'exchanges', uniqueName('mgmt-x'));
    const path = `/api/exchanges/%2F/${enc(x)}`;
    assert.equal((await b.api.put(path, { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'amq.fanout' } })).status, 201);
    assert.equal((await b.api.put(path, { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'amq.fanout' } })).status, 204);
    const v = (await b.api.get(path)).body as Json;
    assert.equal(v.name, x);
    assert.equal(v.type, 'topic');
    assert.equal(v.durable, true);
    assert.equal(v.auto_delete, false);
    assert.equal(v.internal, false);
    assert.equal(v.vhost, '/');
    assert.deepEqual(v.arguments, { 'alternate-exchange': 'amq.fanout' });
    const wrongType = await b.api.put(path, { type: 'fanout', durable: true });
    assert.equal(wrongType.status, 400);
    assert.deepEqual(wrongType.body, {
      error: 'bad_request',
      reason: `inequivalent arg 'type' for exchange '${x}' in vhost '/': received 'fanout' but current is 'topic'`,
    });
    assert.equal((await b.api.delete(path)).status, 204);
    assert.equal((await b.api.get(path)).status, 404);
    const builtin = await b.api.delete('/api/exchanges/%2F/amq.direct');
    assert.equal(builtin.status, 401);
    assert.deepEqual(builtin.body, { error: 'not_authorised', reason: 'Access refused.' });
  });

  test('POST …/publish routes a message and says whether it reached a queue', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-pub');
    await ch.assertQueue(q, { durable: true });
    const routed = await b.api.post('/api/exchanges/%2F/amq.default/publish', {
      properties: { delivery_mode: 2, headers: { a: 'b' }, content_type: 'application/json' },
      routing_key: q,
      payload: '{"x":1}',
      payload_encoding: 'string',
    });
    assert.equal(routed.status, 200);
    assert.deepEqual(routed.body, { routed: true });
    const got = await ch.get(q, { noAck: true });
    assert.ok(got !== false, 'the message arrived');
    assert.equal(got.content.toString(), '{"x":1}');
    assert.equal(got.properties.deliveryMode, 2);
    assert.equal(got.properties.contentType, 'application/json');
    assert.deepEqual(got.properties.headers, { a: 'b' });

    const b64 = await b.api.post('/api/exchanges/%2F/amq.default/publish', { properties: {}, routing_key: q, payload: Buffer.from([1, 2, 3]).toString('base64'), payload_encoding: 'base64' });
    assert.deepEqual(b64.body, { routed: true });
    const raw = await ch.get(q, { noAck: true });
    const empty = await b.api.post('/api/exchanges/%2F/amq.default/publish', { properties: {}, routing_key: q, payload: 'p', payload_encoding: 'string' });
    assert.deepEqual(empty.body, { routed: true });
    const shown = (await b.api.post(`/api/queues/%2F/${enc(q)}/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' })).body as Json[];
    assert.deepEqual(shown[0]?.properties, [], 'no properties: an empty list, as RabbitMQ shows it');
    assert.ok(raw !== false, 'the base64 message arrived');
    assert.deepEqual([...raw.content], [1, 2, 3]);

    const nowhere = await b.api.post('/api/exchanges/%2F/amq.direct/publish', { properties: {}, routing_key: uniqueName('nobody'), payload: 'x', payload_encoding: 'string' });
    assert.deepEqual(nowhere.body, { routed: false });

    const missing = await b.api.post('/api/exchanges/%2F/amq.direct/publish', { routing_key: 'x', payload: 'x', payload_encoding: 'string' });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error: 'bad_request', reason: '[{key_missing,properties}]' });
    // Erlang breaks a long term over lines, and RabbitMQ sends it so
    const many = await b.api.post('/api/exchanges/%2F/amq.direct/publish', { routing_key: 'x' });
    assert.deepEqual(many.body, { error: 'bad_request', reason: '[{key_missing,properties},\n {key_missing,payload},\n {key_missing,payload_encoding}]' });
    const encoding = await b.api.post('/api/exchanges/%2F/amq.direct/publish', { properties: {}, routing_key: 'x', payload: 'x', payload_encoding: 'rot13' });
    assert.deepEqual(encoding.body, { error: 'bad_request', reason: ['unsupported_encoding', 'rot13'] });
    const nox = uniqueName('nox');
    const noExchange = await b.api.post(`/api/exchanges/%2F/${enc(nox)}/publish`, { properties: {}, routing_key: 'x', payload: 'x', payload_encoding: 'string' });
    assert.equal(noExchange.status, 400);
    assert.deepEqual(noExchange.body, { error: 'bad_request', reason: `404 NOT_FOUND - no exchange '${nox}' in vhost '/'` });
  });

  test('publish counts show in message_stats', async (t) => {
    const x = cleanup(t, 'exchanges', uniqueName('mgmt-stats-x'));
    await b.api.put(`/api/exchanges/%2F/${enc(x)}`, { type: 'fanout', durable: false });
    const s = scope(t, b.amqpUrl);
    const ch = await s.confirmChannel();
    const q = s.queue('mgmt-stats-q');
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, x, '');
    for (let i = 0; i < 3; i++) ch.publish(x, '', Buffer.from('m'));
    await ch.waitForConfirms();
    const v = await until(async () => {
      const e = (await b.api.get(`/api/exchanges/%2F/${enc(x)}`)).body as Json;
      return e.message_stats ? e : undefined;
    }, 'exchange message_stats');
    const stats = v.message_stats as Json;
    assert.equal(stats.publish_in, 3);
    assert.equal(stats.publish_out, 3);
  });
});

describe('bindings', () => {
  test('e→q: POST creates with a Location, GET by properties_key, DELETE removes', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    const q = s.queue('mgmt-bq');
    await ch.assertQueue(q, { durable: false });
    const base = `/api/bindings/%2F/e/amq.topic/q/${enc(q)}`;
    const created = await b.api.post(base, { routing_key: 'a.#', arguments: {} });
    assert.equal(created.status, 201);
    assert.equal(created.headers.location, `${enc(q)}/a.%2523`);
    const withArgs = await b.api.post(base, { routing_key: 'b', arguments: { 'x-k': 'v' } });
    assert.equal(withArgs.status, 201);

    const list = (await b.api.get(base)).body as Json[];
    assert.equal(list.length, 2);
    assert.deepEqual(list[0], { source: 'amq.topic', vhost: '/', destination: q, destination_type: 'queue', routing_key: 'a.#', arguments: {}, properties_key: 'a.%23' });
    const argKey = String(list[1]?.properties_key);
    assert.ok(argKey.startsWith('b~'), `a binding with arguments has a hashed key (${argKey})`);
    assert.equal(withArgs.headers.location, `${enc(q)}/${argKey}`);

    const one = await b.api.get(`${base}/${enc(argKey)}`);
    assert.equal(one.status, 200);
    assert.deepEqual((one.body as Json).arguments, { 'x-k': 'v' });

    assert.equal((await b.api.delete(`${base}/a.%2523`)).status, 204);
    assert.equal((await b.api.get(`${base}/a.%2523`)).status, 404);
    assert.equal((await b.api.delete(`${base}/${enc(argKey)}`)).status, 204);
    assert.deepEqual((await b.api.get(base)).body, []);

    // the binding really routes while it exists, and no longer once deleted
    await b.api.post(base, { routing_key: 'c' });
    ch.publish('amq.topic', 'c', Buffer.from('routed'));
    await until(async () => ((await b.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json).messages === 1, 'routed message');
  });

  test('e→e bindings and an exchange’s bindings as source and destination', async (t) => {
    const src = cleanup(t, 'exchanges', uniqueName('mgmt-src'));
    const dst = cleanup(t, 'exchanges', uniqueName('mgmt-dst'));
    await b.api.put(`/api/exchanges/%2F/${enc(src)}`, { type: 'direct', durable: false });
    await b.api.put(`/api/exchanges/%2F/${enc(dst)}`, { type: 'fanout', durable: false });
    const created = await b.api.post(`/api/bindings/%2F/e/${enc(src)}/e/${enc(dst)}`, { routing_key: 'k' });
    assert.equal(created.status, 201);
    const expected = { source: src, vhost: '/', destination: dst, destination_type: 'exchange', routing_key: 'k', arguments: {}, properties_key: 'k' };
    assert.deepEqual((await b.api.get(`/api/exchanges/%2F/${enc(src)}/bindings/source`)).body, [expected]);
    assert.deepEqual((await b.api.get(`/api/exchanges/%2F/${enc(dst)}/bindings/destination`)).body, [expected]);
    assert.deepEqual((await b.api.get(`/api/bindings/%2F/e/${enc(src)}/e/${enc(dst)}`)).body, [expected]);
    const all = (await b.api.get('/api/bindings/%2F')).body as Json[];
    assert.ok(
      all.some((x) => x.source === src && x.destination === dst),
      'listed among all bindings',
    );
    assert.equal((await b.api.delete(`/api/bindings/%2F/e/${enc(src)}/e/${enc(dst)}/k`)).status, 204);
    assert.deepEqual((await b.api.get(`/api/exchanges/%2F/${enc(src)}/bindings/source`)).body, []);
  });

  test('binding to a missing queue: 404 naming it', async () => {
    const q = uniqueName('mgmt-missing');
    const r = await b.api.post(`/api/bindings/%2F/e/amq.direct/q/${enc(q)}`, { routing_key: 'x' });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'not_found', reason: `no queue '${q}' in vhost '/'` });
  });
});
