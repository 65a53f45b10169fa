// Connections, channels and consumers through the management API, for clients connected with
// amqplib: their JSON, who sees whose, and closing a connection (320 CONNECTION_FORCED with the
// management plugin's text or the X-Reason header).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelModel } from 'amqplib';
import { connect, connectionClosed, scope } from '../helpers/amqp-helpers.js';
import { enc, type Json, makeUser, until, useMgmt } from './mgmt-helpers.js';

const b = useMgmt();

/** "…:<local port> ->": how a client's connection name starts, seen from the broker. */
function portOf(conn: ChannelModel): string {
  const sock = (conn.connection as unknown as { stream: { localPort: number } }).stream;
  return `:${sock.localPort} ->`;
}

/** The listed connection of an amqplib client (polled: listing follows the handshake). */
async function listed(conn: ChannelModel, api = b.api): Promise<Json> {
  return until(async () => {
    const list = (await api.get('/api/connections')).body as Json[];
    return list.find((c) => String(c.name).includes(portOf(conn)));
  }, 'the connection listed');
}

describe('connections', () => {
  test('an amqplib connection shows with RabbitMQ keys', async (t) => {
    const s = scope(t, `${b.amqpUrl}?heartbeat=30`);
    const conn = await s.connect();
    await conn.createChannel();
    const c = await listed(conn);
    for (const key of ['name', 'node', 'user', 'vhost', 'host', 'port', 'peer_host', 'peer_port', 'protocol', 'state', 'channels', 'frame_max', 'channel_max', 'timeout', 'ssl', 'auth_mechanism', 'client_properties', 'connected_at', 'recv_oct', 'send_oct', 'recv_oct_details', 'type']) {
      assert.ok(key in c, `key ${key}`);
    }
    assert.equal(c.user, 'guest');
    assert.equal(c.vhost, '/');
    assert.equal(c.protocol, 'AMQP 0-9-1');
    assert.equal(c.state, 'running');
    assert.equal(c.ssl, false);
    assert.equal(c.timeout, 30);
    assert.equal(c.type, 'network');
    assert.equal(c.name, `${c.peer_host}:${c.peer_port} -> ${c.host}:${c.port}`);
    assert.equal(((c.client_properties as Json).capabilities as Json).publisher_confirms, true);
    const one = await b.api.get(`/api/connections/${enc(String(c.name))}`);
    assert.equal(one.status, 200);
    assert.equal((one.body as Json).name, c.name);
    const channels = await b.api.get(`/api/connections/${enc(String(c.name))}/channels`);
    assert.equal(channels.status, 200);
    assert.equal((channels.body as Json[]).length, 1);
  });

  test('DELETE closes the connection with 320 and the management text, or the X-Reason', async (t) => {
    const s = scope(t, b.amqpUrl);
    const first = await s.connect();
    const second = await s.connect();
    const firstName = String((await listed(first)).name);
    const secondName = String((await listed(second)).name);
    const closedFirst = connectionClosed(first);
    const closedSecond = connectionClosed(second);
    assert.equal((await b.api.delete(`/api/connections/${enc(firstName)}`)).status, 204);
    assert.deepEqual(await closedFirst, { code: 320, text: 'CONNECTION_FORCED - Closed via management plugin', classId: 0, methodId: 0 });
    assert.equal((await b.api.delete(`/api/connections/${enc(secondName)}`, { 'x-reason': 'maintenance' })).status, 204);
    assert.deepEqual(await closedSecond, { code: 320, text: 'CONNECTION_FORCED - maintenance', classId: 0, methodId: 0 });
    assert.equal((await b.api.get(`/api/connections/${enc(firstName)}`)).status, 404);
  });

  test("a management user sees only its own connections and may not close others'", async (t) => {
    const u = await makeUser(b.api, 'management', { '/': '.*' });
    t.after(() => u.remove());
    const s = scope(t, b.amqpUrl);
    await s.connect();
    const mine = await connect(b.amqpUrlFor(u.name, u.password, '/'));
    t.after(() => mine.close().catch(() => undefined));
    const own = await until(async () => {
      const l = (await u.api.get('/api/connections')).body as Json[];
      return l.length > 0 ? l : undefined;
    }, "the user's connection listed");
    assert.ok(
      own.every((c) => c.user === u.name),
      'only its own connections',
    );
    const all = (await b.api.get('/api/connections')).body as Json[];
    const guests = all.filter((c) => c.user === 'guest');
    assert.ok(guests.length > 0, 'guest has a connection');
    const name = String(guests[0]?.name);
    const get = await u.api.get(`/api/connections/${enc(name)}`);
    assert.equal(get.status, 401);
    assert.deepEqual(get.body, { error: 'not_authorised', reason: 'User not authorised to access object' });
    assert.equal((await u.api.delete(`/api/connections/${enc(name)}`)).status, 401);
  });

  test('/api/vhosts/{vhost}/connections lists one vhost', async (t) => {
    const s = scope(t, b.amqpUrl);
    await s.connect();
    const l = await until(async () => {
      const x = (await b.api.get('/api/vhosts/%2F/connections')).body as Json[];
      return x.length > 0 ? x : undefined;
    }, 'connections in /');
    assert.ok(
      l.every((c) => c.vhost === '/'),
      'all in /',
    );
  });
});

describe('channels and consumers', () => {
  test('channels and consumers show with their prefetch, consumer and counts', async (t) => {
    const s = scope(t, b.amqpUrl);
    const ch = await s.channel();
    await ch.prefetch(7);
    const q = s.queue('mgmt-consumed');
    await ch.assertQueue(q, { durable: false });
    const { consumerTag } = await ch.consume(q, () => undefined, { noAck: false });
    ch.sendToQueue(q, Buffer.from('m'));
    const consumers = await until(async () => {
      const l = (await b.api.get('/api/consumers/%2F')).body as Json[];
      const mine = l.filter((c) => (c.queue as Json).name === q);
      return mine.length > 0 ? mine : undefined;
    }, 'consumer listed');
    const c = consumers[0] as Json;
    assert.equal(c.consumer_tag, consumerTag);
    assert.equal(c.ack_required, true);
    assert.equal(c.exclusive, false);
    assert.equal(c.prefetch_count, 7);
    assert.deepEqual(c.queue, { name: q, vhost: '/' });
    const details = c.channel_details as Json;
    const chName = String(details.name);
    assert.match(chName, / \(\d+\)$/);

    const channel = await until(async () => {
      const x = await b.api.get(`/api/channels/${enc(chName)}`);
      const v = x.body as Json;
      return v.messages_unacknowledged === 1 ? v : undefined;
    }, 'unacked delivery counted');
    assert.equal(channel.prefetch_count, 7);
    assert.equal(channel.consumer_count, 1);
    assert.equal(channel.user, 'guest');
    assert.equal(channel.vhost, '/');
    assert.equal(channel.state, 'running');
    assert.equal(channel.confirm, false);
    assert.equal(channel.transactional, false);
    assert.equal((channel.consumer_details as Json[]).length, 1);
    const list = (await b.api.get('/api/channels')).body as Json[];
    assert.ok(
      list.some((x) => x.name === chName),
      'listed in /api/channels',
    );
    const queue = (await b.api.get(`/api/queues/%2F/${enc(q)}`)).body as Json;
    assert.equal(queue.consumers, 1);
    assert.equal(queue.messages_unacknowledged, 1);
    assert.equal((queue.consumer_details as Json[]).length, 1);
  });
});
