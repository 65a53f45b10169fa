// Policies and operator policies through the management API (/api/policies, /api/operator-policies),
// and their effect on queues over AMQP: a policy applies to existing queues at once and to new ones
// when declared, the highest priority wins, apply-to picks the kind, a queue argument wins over a
// policy, an operator policy's stricter number wins. JSON, status codes and reasons are RabbitMQ
// 3.10's (run with WARREN_TEST_AMQP_URL + WARREN_TEST_MGMT_URL against the reference to check).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfirmChannel } from 'amqplib';
import { scope } from '../helpers/amqp-helpers.js';
import { enc, type Json, makeUser, uniqueName, until, useMgmt } from './mgmt-helpers.js';

const mgmt = useMgmt();

/** A policy name unique to this run, cleared after the test. */
function policyName(t: { after(fn: () => Promise<void>): void }, operator = false): string {
  const name = uniqueName(operator ? 'partG-op' : 'partG-pol');
  t.after(async () => void (await mgmt.api.delete(`/api/${operator ? 'operator-policies' : 'policies'}/%2F/${enc(name)}`)));
  return name;
}

/** The ready count once every publish so far is confirmed (RabbitMQ counts in-flight publishes only then). */
async function ready(ch: ConfirmChannel, q: string): Promise<number> {
  await ch.waitForConfirms();
  return (await ch.checkQueue(q)).messageCount;
}

/** The queue's policy fields as the API shows them (RabbitMQ fills them in asynchronously: poll). */
async function queuePolicy(q: string, policy: string | null): Promise<Json> {
  return until(async () => {
    const r = await mgmt.api.get(`/api/queues/%2F/${enc(q)}`);
    const body = r.body as Json;
    return r.status === 200 && body.policy === policy ? body : undefined;
  }, `queue ${q} showing policy ${policy}`);
}

describe('policies over HTTP', () => {
  test('PUT creates (201), replaces (204); GET shows RabbitMQ JSON; DELETE 204 then 404', async (t) => {
    const name = policyName(t);
    const path = `/api/policies/%2F/${enc(name)}`;
    const first = await mgmt.api.put(path, { pattern: '^partG-none-', definition: { 'max-length': 5, 'message-ttl': 1000 }, priority: 1, 'apply-to': 'queues' });
    assert.equal(first.status, 201, first.text);
    const got = await mgmt.api.get(path);
    assert.deepEqual(got.body, { vhost: '/', name, pattern: '^partG-none-', 'apply-to': 'queues', definition: { 'max-length': 5, 'message-ttl': 1000 }, priority: 1 });
    const again = await mgmt.api.put(path, { pattern: '^partG-none-', definition: { 'max-length': 5 } });
    assert.equal(again.status, 204, again.text);
    assert.deepEqual(((await mgmt.api.get(path)).body as Json)['apply-to'], 'all', 'apply-to defaults to all');
    assert.equal(((await mgmt.api.get(path)).body as Json).priority, 0, 'priority defaults to 0');
    const list = (await mgmt.api.get('/api/policies')).body as Json[];
    assert.ok(list.some((p) => p.name === name), 'listed in /api/policies');
    const vlist = (await mgmt.api.get('/api/policies/%2F')).body as Json[];
    assert.ok(vlist.some((p) => p.name === name), 'listed in /api/policies/%2F');
    assert.equal((await mgmt.api.delete(path)).status, 204);
    assert.equal((await mgmt.api.get(path)).status, 404);
    assert.equal((await mgmt.api.delete(path)).status, 404);
  });

  test('validation: RabbitMQ reasons and 400', async (t) => {
    const path = `/api/policies/%2F/${enc(policyName(t))}`;
    const cases: [Json, string][] = [
      [{ pattern: 'a', definition: { 'max-lengthx': 5 } }, 'Validation failed\n\n[{&lt;&lt;"max-lengthx"&gt;&gt;,5}] are not recognised policy settings\n'],
      [{ pattern: 'a', definition: { 'max-length': 'a' } }, 'Validation failed\n\n&lt;&lt;"a"&gt;&gt; is not a valid maximum length\n'],
      [{ pattern: 'a', definition: { 'max-length': -1 } }, 'Validation failed\n\n-1 is not a valid maximum length\n'],
      [{ pattern: 'a', definition: { 'message-ttl': -1 } }, 'Validation failed\n\n-1 is not a valid message TTL\n'],
      [{ pattern: 'a', definition: { expires: 0 } }, 'Validation failed\n\n0 is not a valid queue expiry\n'],
      [{ pattern: 'a', definition: { 'dead-letter-exchange': 5 } }, 'Validation failed\n\n5 is not a valid dead letter exchange name\n'],
      [{ pattern: 'a', definition: { overflow: 'foo' } }, 'Validation failed\n\n&lt;&lt;"foo"&gt;&gt; is not a valid overflow value\n'],
      [{ pattern: 'a', definition: { 'max-length': 1 }, 'apply-to': 'foo' }, "Validation failed\n\napply-to 'foo' unrecognised; should be 'queues', 'exchanges' or 'all'\n"],
      [{ pattern: 'a', definition: {} }, 'Validation failed\n\nno policy provided\n'],
      [{ pattern: 'a', definition: { 'max-length': 1 }, priority: 'x' }, 'Validation failed\n\npriority should be a number, actually was &lt;&lt;"x"&gt;&gt;\n'],
      [{ definition: { 'max-length': 1 } }, '[{key_missing,pattern}]'],
    ];
    for (const [body, reason] of cases) {
      const r = await mgmt.api.put(path, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.deepEqual(r.body, { error: 'bad_request', reason }, JSON.stringify(body));
    }
    assert.equal((await mgmt.api.get(path)).status, 404, 'nothing was stored');
    const missing = await mgmt.api.put(`/api/policies/${enc(uniqueName('partG-novhost'))}/p`, { pattern: 'a', definition: { 'max-length': 1 } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: 'not_found', reason: 'vhost_not_found' });
  });

  test('a max-length policy truncates an existing queue at once; clearing it lifts the limit', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const q = s.queue('partG-maxlen');
    await ch.assertQueue(q, { durable: false });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    assert.equal(await ready(ch, q), 5);
    const name = policyName(t);
    const r = await mgmt.api.put(`/api/policies/%2F/${enc(name)}`, { pattern: `^${q}$`, definition: { 'max-length': 2 }, 'apply-to': 'queues' });
    assert.equal(r.status, 201, r.text);
    const view = await queuePolicy(q, name);
    assert.deepEqual(view.effective_policy_definition, { 'max-length': 2 });
    assert.equal(await ready(ch, q), 2, 'the policy dropped the head at once');
    const m = await ch.get(q, { noAck: true });
    assert.ok(m !== false, 'a message is left');
    assert.equal(m.content.toString(), 'm3', 'drop-head kept the newest');
    assert.equal((await mgmt.api.delete(`/api/policies/%2F/${enc(name)}`)).status, 204);
    await queuePolicy(q, null);
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(`n${i}`));
    assert.equal(await ready(ch, q), 5, 'no limit any more');
  });

  test('a new queue gets the matching policy when declared; the higher priority wins; apply-to exchanges does not touch queues', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const q = s.queue('partG-prio');
    const low = policyName(t);
    const high = policyName(t);
    const exOnly = policyName(t);
    assert.equal((await mgmt.api.put(`/api/policies/%2F/${enc(low)}`, { pattern: `^${q}$`, definition: { 'max-length': 1 }, priority: 1 })).status, 201);
    assert.equal((await mgmt.api.put(`/api/policies/%2F/${enc(high)}`, { pattern: `^${q}`, definition: { 'max-length': 3 }, priority: 5 })).status, 201);
    assert.equal((await mgmt.api.put(`/api/policies/%2F/${enc(exOnly)}`, { pattern: `^${q}`, definition: { 'alternate-exchange': 'x' }, priority: 9, 'apply-to': 'exchanges' })).status, 201);
    await ch.assertQueue(q, { durable: false });
    await queuePolicy(q, high);
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    assert.equal(await ready(ch, q), 3, 'max-length 3 from the priority-5 policy');
  });

  test('a queue argument wins over the policy; an operator policy wins where it is stricter', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const q = s.queue('partG-argwins');
    const q2 = s.queue('partG-opwins');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 4 } });
    await ch.assertQueue(q2, { durable: false });
    const pol = policyName(t);
    const op = policyName(t, true);
    assert.equal((await mgmt.api.put(`/api/policies/%2F/${enc(pol)}`, { pattern: `^(${q}|${q2})$`, definition: { 'max-length': 10 } })).status, 201);
    await queuePolicy(q, pol);
    for (let i = 0; i < 6; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    assert.equal(await ready(ch, q), 4, 'x-max-length 4 wins over the policy 10');
    const r = await mgmt.api.put(`/api/operator-policies/%2F/${enc(op)}`, { pattern: `^(${q}|${q2})$`, definition: { 'max-length': 2 } });
    assert.equal(r.status, 201, r.text);
    const view = await until(async () => {
      const b = (await mgmt.api.get(`/api/queues/%2F/${enc(q2)}`)).body as Json;
      return b.operator_policy === op ? b : undefined;
    }, 'operator policy shown');
    assert.equal(view.policy, pol);
    assert.deepEqual(view.effective_policy_definition, { 'max-length': 2 });
    assert.equal(await ready(ch, q), 2, 'the operator policy (2) is stricter than the argument (4)');
    for (let i = 0; i < 6; i++) ch.sendToQueue(q2, Buffer.from(`m${i}`));
    assert.equal(await ready(ch, q2), 2, 'and stricter than the policy (10)');
  });

  test('operator policies: only RabbitMQ 3.10 keys; JSON as policies', async (t) => {
    const name = policyName(t, true);
    const path = `/api/operator-policies/%2F/${enc(name)}`;
    const bad = await mgmt.api.put(path, { pattern: 'a', definition: { 'dead-letter-exchange': 'x' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { error: 'bad_request', reason: 'Validation failed\n\n[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings\n' });
    const overflow = await mgmt.api.put(path, { pattern: 'a', definition: { overflow: 'drop-head' } });
    assert.equal(overflow.status, 400, 'overflow is not an operator policy key in 3.10');
    assert.equal((await mgmt.api.put(path, { pattern: '^partG-nothing$', definition: { 'max-length': 3, expires: 100000 } })).status, 201);
    assert.deepEqual((await mgmt.api.get(path)).body, { vhost: '/', name, pattern: '^partG-nothing$', 'apply-to': 'all', definition: { 'max-length': 3, expires: 100000 }, priority: 0 });
  });

  test('who may: every management user lists; policymaker sets; operator policies need administrator', async (t) => {
    const mgmtUser = await makeUser(mgmt.api, 'management', { '/': '.*' });
    const policymaker = await makeUser(mgmt.api, 'policymaker', { '/': '.*' });
    t.after(async () => {
      await mgmtUser.remove();
      await policymaker.remove();
    });
    const name = policyName(t);
    const body = { pattern: '^partG-zz$', definition: { 'max-length': 1 } };
    assert.equal((await mgmtUser.api.get('/api/policies')).status, 200);
    const refused = await mgmtUser.api.put(`/api/policies/%2F/${enc(name)}`, body);
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { error: 'not_authorised', reason: 'User not authorised to access object' });
    assert.equal((await policymaker.api.put(`/api/policies/%2F/${enc(name)}`, body)).status, 201);
    const op = await policymaker.api.put(`/api/operator-policies/%2F/${enc(policyName(t, true))}`, body);
    assert.equal(op.status, 401);
    assert.deepEqual(op.body, { error: 'not_authorised', reason: 'Not administrator user' });
  });

  test('alternate-exchange from a policy takes unroutable messages; an argument wins over it', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const x = s.exchange('partG-aepol');
    const xArg = s.exchange('partG-aepol-arg');
    const ae = s.exchange('partG-ae');
    const aeArg = s.exchange('partG-ae-arg');
    const q = s.queue('partG-ae-q');
    const qArg = s.queue('partG-ae-arg-q');
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertExchange(aeArg, 'fanout', { durable: false });
    await ch.assertQueue(q, { durable: false });
    await ch.assertQueue(qArg, { durable: false });
    await ch.bindQueue(q, ae, '');
    await ch.bindQueue(qArg, aeArg, '');
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertExchange(xArg, 'direct', { durable: false, arguments: { 'alternate-exchange': aeArg } });
    const name = policyName(t);
    assert.equal((await mgmt.api.put(`/api/policies/%2F/${enc(name)}`, { pattern: `^(${x}|${xArg})$`, definition: { 'alternate-exchange': ae }, 'apply-to': 'exchanges' })).status, 201);
    await until(async () => ((await mgmt.api.get(`/api/exchanges/%2F/${enc(x)}`)).body as Json).policy === name, 'exchange policy shown');
    ch.publish(x, 'nowhere', Buffer.from('via-policy'));
    ch.publish(xArg, 'nowhere', Buffer.from('via-argument'));
    assert.equal(await ready(ch, q), 1, 'the policy AE took the first');
    assert.equal(await ready(ch, qArg), 1, 'the argument AE took the second');
  });

  test('an exchange shows the policy that applies to it', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const x = s.exchange('partG-ex');
    await ch.assertExchange(x, 'direct', { durable: false });
    const name = policyName(t);
    assert.equal((await mgmt.api.put(`/api/policies/%2F/${enc(name)}`, { pattern: `^${x}$`, definition: { 'alternate-exchange': 'partG-ae' }, 'apply-to': 'exchanges' })).status, 201);
    await until(async () => ((await mgmt.api.get(`/api/exchanges/%2F/${enc(x)}`)).body as Json).policy === name, 'exchange policy shown');
    assert.equal((await mgmt.api.delete(`/api/policies/%2F/${enc(name)}`)).status, 204);
    await until(async () => !('policy' in ((await mgmt.api.get(`/api/exchanges/%2F/${enc(x)}`)).body as Json)), 'policy key gone');
  });
});
