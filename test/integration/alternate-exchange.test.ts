// Alternate exchanges (exchange argument alternate-exchange, or the same key in a policy) with
// amqplib, as RabbitMQ 3.10 routes them: an exchange whose bindings match nothing passes the
// message to its alternate exchange, along chains, through exchange-to-exchange bindings, and
// cycle-safe; a mandatory message comes back only when the alternate route fails too. Runs against
// the reference RabbitMQ with WARREN_TEST_AMQP_URL and WARREN_TEST_MGMT_URL set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ConfirmChannel } from 'amqplib';
import { eventually, expectEmpty, getOne, Returns, scope, TRANSIENT, withTimeout, TIMEOUT_MS, type AmqpScope } from '../helpers/amqp-helpers.js';
import { enc, useMgmt } from './mgmt-helpers.js';

const mgmt = useMgmt();

/** A queue bound to a fresh fanout exchange: where alternate-routed messages are expected. */
async function sink(s: AmqpScope, ch: Channel): Promise<{ exchange: string; queue: string }> {
  const exchange = s.exchange('ae-sink');
  const queue = s.queue('ae-sink-q');
  await ch.assertExchange(exchange, 'fanout', TRANSIENT);
  await ch.assertQueue(queue, TRANSIENT);
  await ch.bindQueue(queue, exchange, '');
  return { exchange, queue };
}

async function publishAll(ch: ConfirmChannel, items: Array<[string, string]>): Promise<void> {
  for (const [exchange, key] of items) ch.publish(exchange, key, Buffer.from(`${key}`), { mandatory: true });
  await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirms');
}

async function drain(ch: Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await withTimeout(ch.get(queue, { noAck: true }), TIMEOUT_MS, `basic.get ${queue}`);
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

describe('alternate-exchange', () => {
  test('unroutable messages go to the alternate exchange; routable ones do not; no basic.return', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    const ae = await sink(s, ch);
    const main = s.exchange('ae-main');
    const mq = s.queue('ae-main-q');
    await ch.assertExchange(main, 'direct', { ...TRANSIENT, alternateExchange: ae.exchange });
    await ch.assertQueue(mq, TRANSIENT);
    await ch.bindQueue(mq, main, 'good');
    await publishAll(ch, [
      [main, 'good'],
      [main, 'bad'],
      [main, 'worse'],
    ]);
    assert.deepEqual(await drain(ch, mq), ['good'], 'the bound queue gets the routable message');
    assert.deepEqual(await drain(ch, ae.queue), ['bad', 'worse'], 'the alternate exchange gets the others');
    assert.equal(returns.messages.length, 0, 'nothing returned: the alternate route counts as routed');
  });

  test('a missing alternate exchange: the message is unroutable (returned when mandatory)', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    const x = s.exchange('ae-missing');
    await ch.assertExchange(x, 'direct', { ...TRANSIENT, alternateExchange: s.exchange('ae-never-declared') });
    await publishAll(ch, [[x, 'lost']]);
    const [r] = await returns.waitFor(1);
    assert.equal(r.fields.replyCode, 312, 'NO_ROUTE');
    assert.equal(r.fields.exchange, x, 'returned from the exchange published to');
  });

  test('chains: the alternate exchange of the alternate exchange; an internal exchange may be one', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    const ae = await sink(s, ch);
    const internalAe = s.exchange('ae-internal');
    await ch.assertExchange(internalAe, 'fanout', { ...TRANSIENT, internal: true });
    await ch.bindQueue(ae.queue, internalAe, '');
    const second = s.exchange('ae-second');
    const first = s.exchange('ae-first');
    await ch.assertExchange(second, 'topic', { ...TRANSIENT, alternateExchange: internalAe });
    await ch.assertExchange(first, 'direct', { ...TRANSIENT, alternateExchange: second });
    await publishAll(ch, [[first, 'chained']]);
    assert.deepEqual(await drain(ch, ae.queue), ['chained'], 'first → second → internal → queue');
    assert.equal(returns.messages.length, 0, 'not returned');
  });

  test('a cycle of alternate exchanges ends: the message is returned once', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    const a = s.exchange('ae-cycle-a');
    const b = s.exchange('ae-cycle-b');
    await ch.assertExchange(a, 'direct', { ...TRANSIENT, alternateExchange: b });
    await ch.assertExchange(b, 'direct', { ...TRANSIENT, alternateExchange: a });
    await publishAll(ch, [[a, 'round']]);
    await returns.waitFor(1);
    assert.equal(returns.messages.length, 1, 'one basic.return');
  });

  test('exchange-to-exchange bindings: each exchange on the way uses its own alternate when it matches nothing', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    const mainAe = await sink(s, ch);
    const innerAe = await sink(s, ch);
    const main = s.exchange('ae-e2e-main');
    const inner = s.exchange('ae-e2e-inner');
    const empty = s.exchange('ae-e2e-empty');
    await ch.assertExchange(main, 'direct', { ...TRANSIENT, alternateExchange: mainAe.exchange });
    await ch.assertExchange(inner, 'direct', { ...TRANSIENT, alternateExchange: innerAe.exchange });
    await ch.assertExchange(empty, 'direct', TRANSIENT);
    await ch.bindExchange(inner, main, 'to-inner');
    await ch.bindExchange(empty, main, 'to-empty');
    await publishAll(ch, [
      [main, 'to-inner'],
      [main, 'to-empty'],
      [main, 'nowhere'],
    ]);
    assert.deepEqual(await drain(ch, innerAe.queue), ['to-inner'], "the inner exchange matched nothing: its alternate takes it");
    assert.deepEqual(await drain(ch, mainAe.queue), ['nowhere'], "main's alternate only for what main's bindings did not match");
    // main matched a binding to an exchange that routes nowhere: main's alternate is not used
    const [r] = await returns.waitFor(1);
    assert.equal(r.fields.routingKey, 'to-empty', 'that message is returned');
    assert.equal(returns.messages.length, 1, 'only that one');
  });

  test('redeclaring with another alternate-exchange is refused (406)', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.channel();
    const x = s.exchange('ae-redeclare');
    await ch.assertExchange(x, 'direct', { ...TRANSIENT, alternateExchange: 'one' });
    const err = await withTimeout(
      ch.assertExchange(x, 'direct', { ...TRANSIENT, alternateExchange: 'two' }).then(
        () => undefined,
        (e: unknown) => e as Error,
      ),
      TIMEOUT_MS,
      'redeclare',
    );
    assert.ok(err, 'the redeclare must fail');
    assert.match(err.message, /inequivalent arg 'alternate-exchange' for exchange '[^']+' in vhost '\/': received 'two' but current is 'one'/, 'RabbitMQ text');
  });

  test('alternate-exchange from a policy; the argument wins over it', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const ch = await s.confirmChannel();
    const byPolicy = await sink(s, ch);
    const byArgument = await sink(s, ch);
    const plain = s.exchange('ae-pol-plain');
    const withArg = s.exchange('ae-pol-arg');
    await ch.assertExchange(plain, 'direct', TRANSIENT);
    await ch.assertExchange(withArg, 'direct', { ...TRANSIENT, alternateExchange: byArgument.exchange });
    const policy = s.exchange('ae-policy'); // a unique name; not an exchange
    const path = `/api/policies/%2F/${enc(policy)}`;
    const pattern = `^(${plain}|${withArg})$`.replace(/\./g, '\\.');
    t.after(async () => {
      await mgmt.api.delete(path);
    });
    const put = await mgmt.api.put(path, { pattern, definition: { 'alternate-exchange': byPolicy.exchange }, 'apply-to': 'exchanges' });
    assert.equal(put.status, 201, `PUT policy: ${put.text}`);
    // RabbitMQ applies a policy asynchronously: wait until it routes
    await eventually(
      async () => {
        await publishAll(ch, [[plain, 'p']]);
        const got = await getOne(ch, byPolicy.queue, { noAck: true });
        assert.equal(got.content.toString(), 'p', 'via the policy');
      },
      10_000,
      'the policy alternate exchange in force',
    );
    await drain(ch, byPolicy.queue);
    await publishAll(ch, [[withArg, 'a']]);
    assert.deepEqual(await drain(ch, byArgument.queue), ['a'], 'the argument wins');
    await expectEmpty(ch, byPolicy.queue);
  });
});
