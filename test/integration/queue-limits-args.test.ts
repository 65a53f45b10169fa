// Invalid queue-feature arguments and redeclares with different ones: 406 PRECONDITION_FAILED with
// RabbitMQ 3.10's texts (checked against the reference broker with WARREN_TEST_AMQP_URL).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { expectChannelError, scope } from '../helpers/amqp-helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

const INVALID: [string, Record<string, unknown>, string][] = [
  ['negative TTL', { 'x-message-ttl': -1 }, "invalid arg 'x-message-ttl' for queue '%q' in vhost '/': {value_negative,-1}"],
  ['TTL as a string', { 'x-message-ttl': 'soon' }, `invalid arg 'x-message-ttl' for queue '%q' in vhost '/': "expected integer, got longstr"`],
  ['x-expires 0', { 'x-expires': 0 }, "invalid arg 'x-expires' for queue '%q' in vhost '/': {value_zero,0}"],
  ['negative x-expires', { 'x-expires': -5 }, "invalid arg 'x-expires' for queue '%q' in vhost '/': {value_negative,-5}"],
  ['unknown x-overflow', { 'x-overflow': 'drop-tail' }, "invalid arg 'x-overflow' for queue '%q' in vhost '/': invalid_overflow"],
  ['priority above 255', { 'x-max-priority': 256 }, "invalid arg 'x-max-priority' for queue '%q' in vhost '/': {max_value_exceeded,256}"],
  ['negative priority', { 'x-max-priority': -1 }, "invalid arg 'x-max-priority' for queue '%q' in vhost '/': {value_negative,-1}"],
  ['dead-letter exchange as a number', { 'x-dead-letter-exchange': 5 }, "invalid type 'byte' for arg 'x-dead-letter-exchange' in queue '%q' in vhost '/'"],
  ['dead-letter routing key as a boolean', { 'x-dead-letter-routing-key': true }, "invalid arg 'x-dead-letter-routing-key' for queue '%q' in vhost '/': {unacceptable_type,bool}"],
  ['x-overflow as a number', { 'x-overflow': 5 }, "invalid arg 'x-overflow' for queue '%q' in vhost '/': {unacceptable_type,byte}"],
  ['negative x-max-length', { 'x-max-length': -1 }, "invalid arg 'x-max-length' for queue '%q' in vhost '/': {value_negative,-1}"],
];

describe('invalid queue-feature arguments', () => {
  for (const [what, args, text] of INVALID) {
    test(`${what} → 406`, async (t) => {
      const s = scope(t, broker.url);
      const conn = await s.conn();
      const ch = await s.channel();
      const q = s.queue('partE-badarg');
      await expectChannelError(ch, () => ch.assertQueue(q, { durable: false, arguments: args }), { code: 406, classId: 50, methodId: 10, text: `PRECONDITION_FAILED - ${text.replace('%q', q)}` }, conn);
    });
  }

  for (const [expiration, term] of [
    ['abc', 'no_integer'],
    ['-1', '{value_negative,-1}'],
    ['1.5', '{leftover_string,".5"}'],
  ] as const) {
    test(`publish with expiration '${expiration}' → 406 invalid expiration`, async (t) => {
      const s = scope(t, broker.url);
      const conn = await s.conn();
      const ch = await s.channel();
      await expectChannelError(ch, () => ch.sendToQueue('partE-nowhere', Buffer.from('x'), { expiration }), {
        code: 406,
        classId: 60,
        methodId: 40,
        text: `PRECONDITION_FAILED - invalid expiration '${expiration}': ${term}`,
      }, conn);
    });
  }

  test('a redeclare with a different TTL, priority or dead-letter exchange → 406 inequivalent arg', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = s.queue('partE-equiv');
    const ch = await s.channel();
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000, 'x-max-priority': 5 } });
    await expectChannelError(
      ch,
      () => ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 2000, 'x-max-priority': 5 } }),
      { code: 406, classId: 50, methodId: 10, text: `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received '2000' but current is '1000'` },
      conn,
    );
    const ch2 = await s.channel();
    await expectChannelError(
      ch2,
      () => ch2.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } }),
      { code: 406, classId: 50, methodId: 10, text: `PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue '${q}' in vhost '/': received none but current is the value '5' of type 'byte'` },
      conn,
    );
    const ch3 = await s.channel();
    const ok = await ch3.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000, 'x-max-priority': 5 } });
    assert.equal(ok.queue, q, 'the same arguments redeclare fine');
  });
});
