// Policies driving queue features that wait (message-ttl, dead-lettering) on a ManualClock the test
// moves: a policy set on an existing queue applies to messages published after it, and clearing it
// stops applying; dead-letter-exchange from a policy takes the expired messages.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfirmChannel } from 'amqplib';
import { ManualClock } from '../../src/index.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { expectEmpty, getOne, scope } from '../helpers/amqp-helpers.js';

const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
let broker: TestBroker;
before(async () => {
  broker = await startBroker({ clock });
});
after(async () => {
  await broker?.stop();
});

async function ready(ch: ConfirmChannel, q: string): Promise<number> {
  await ch.waitForConfirms();
  return (await ch.checkQueue(q)).messageCount;
}

describe('policies and timed queue features', { skip: !!process.env.WARREN_TEST_AMQP_URL && 'needs the in-process ManualClock' }, () => {
  test('message-ttl and dead-letter-exchange from a policy; cleared, they stop applying', async (t) => {
    const admin = broker.warren?.admin;
    assert.ok(admin, 'in-process broker');
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue('partG-ttlpol');
    const dlq = s.queue('partG-ttlpol-dlq');
    await ch.assertQueue(q, { durable: false });
    await ch.assertQueue(dlq, { durable: false });
    admin.setPolicy(false, '/', 'partG-ttl', { pattern: `^${q}$`, definition: { 'message-ttl': 1000, 'dead-letter-exchange': '', 'dead-letter-routing-key': dlq } });
    t.after(() => {
      if (admin.policy(false, '/', 'partG-ttl')) admin.clearPolicy(false, '/', 'partG-ttl');
    });
    ch.sendToQueue(q, Buffer.from('expires'));
    assert.equal(await ready(ch, q), 1);
    clock.advance(1000);
    assert.equal(await ready(ch, q), 0, 'expired by the policy TTL');
    const dead = await getOne(ch, dlq, { noAck: true });
    assert.equal(dead.content.toString(), 'expires', 'dead-lettered by the policy DLX');
    assert.equal((dead.properties.headers?.['x-death'] as { reason: string }[])[0]?.reason, 'expired');
    admin.clearPolicy(false, '/', 'partG-ttl');
    ch.sendToQueue(q, Buffer.from('stays'));
    clock.advance(5000);
    assert.equal(await ready(ch, q), 1, 'no TTL any more');
    await expectEmpty(ch, dlq);
  });
});
