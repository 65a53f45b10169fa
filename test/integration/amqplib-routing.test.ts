// amqplib against the broker: topic and headers exchange matching, as observed on RabbitMQ 3.10.
// Each case binds one queue to a fresh exchange and publishes candidate messages with
// mandatory=true, so every message is either delivered or comes back as basic.return: the test
// waits for exactly one outcome per message, no sleeping.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { TIMEOUT_MS, TRANSIENT, expectChannelError, scope, withTimeout, type AmqpScope, type ReturnedMessage } from '../helpers/amqp-helpers.js';

let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

interface Candidate {
  key?: string;
  headers?: Record<string, unknown>;
}

/** Returns the indexes of the candidates that were routed to the queue. */
async function routed(s: AmqpScope, ch: Channel, type: string, bindings: Array<{ key: string; args?: Record<string, unknown> }>, candidates: Candidate[]): Promise<number[]> {
  const x = s.exchange();
  const q = s.queue();
  await ch.assertExchange(x, type, TRANSIENT);
  await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
  for (const b of bindings) await ch.bindQueue(q, x, b.key, b.args);
  const delivered: number[] = [];
  const returned: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const check = (): void => {
    if (delivered.length + returned.length >= candidates.length) done();
  };
  const onReturn = (m: ReturnedMessage): void => {
    if (m.fields.exchange !== x) return;
    assert.equal(m.fields.replyCode, 312);
    assert.equal(m.fields.replyText, 'NO_ROUTE');
    returned.push(Number(m.content.toString()));
    check();
  };
  ch.on('return', onReturn);
  const { consumerTag } = await ch.consume(
    q,
    (m) => {
      if (m) delivered.push(Number(m.content.toString()));
      check();
    },
    { noAck: true },
  );
  candidates.forEach((c, i) => ch.publish(x, c.key ?? '', Buffer.from(String(i)), { mandatory: true, headers: c.headers }));
  try {
    await withTimeout(all, TIMEOUT_MS, `outcome of ${candidates.length} publishes`);
  } finally {
    ch.removeListener('return', onReturn);
  }
  assert.equal(delivered.length + returned.length, candidates.length, 'each message delivered once or returned');
  await ch.cancel(consumerTag);
  await ch.deleteQueue(q);
  await ch.deleteExchange(x);
  return delivered.sort((a, b) => a - b);
}

const KEYS = ['', 'a', 'b', 'a.b', 'a.b.c', 'a.x.b', 'a.x.y.b', 'b.a', 'a..b', '.', '..', 'a.', '.a', 'a.b.b'];

// pattern -> the KEYS it matches (RabbitMQ 3.10): '*' is exactly one word, '#' zero or more,
// words are separated by '.', and an empty string between dots is a word too.
const TOPIC: Array<[string, string[]]> = [
  ['', ['']],
  ['*', ['a', 'b']],
  ['#', KEYS],
  ['#.#', KEYS],
  ['a.b', ['a.b']],
  ['a.*', ['a.b', 'a.']],
  ['*.*', ['a.b', 'b.a', '.', 'a.', '.a']],
  ['*.*.*', ['a.b.c', 'a.x.b', 'a..b', '..', 'a.b.b']],
  ['a.#', ['a', 'a.b', 'a.b.c', 'a.x.b', 'a.x.y.b', 'a..b', 'a.', 'a.b.b']],
  ['a.#.#', ['a', 'a.b', 'a.b.c', 'a.x.b', 'a.x.y.b', 'a..b', 'a.', 'a.b.b']],
  ['a.#.b', ['a.b', 'a.x.b', 'a.x.y.b', 'a..b', 'a.b.b']],
  ['a.*.b', ['a.x.b', 'a..b', 'a.b.b']],
  ['#.b', ['b', 'a.b', 'a.x.b', 'a.x.y.b', 'a..b', 'a.b.b']],
  ['#.a.#', ['a', 'a.b', 'a.b.c', 'a.x.b', 'a.x.y.b', 'b.a', 'a..b', 'a.', '.a', 'a.b.b']],
  ['*.#', KEYS.filter((k) => k !== '')],
  ['#.*', KEYS.filter((k) => k !== '')],
  ['a..b', ['a..b']],
  ['*.', ['.', 'a.']],
  ['.*', ['.', '.a']],
];

describe('topic exchange matching', () => {
  for (const [pattern, expected] of TOPIC) {
    test(`pattern ${JSON.stringify(pattern)}`, async (t) => {
      const s = scope(t, broker.url);
      const ch = await s.channel();
      const got = await routed(s, ch, 'topic', [{ key: pattern }], KEYS.map((key) => ({ key })));
      assert.deepEqual(
        got.map((i) => KEYS[i]),
        KEYS.filter((k) => expected.includes(k)),
      );
    });
  }

  test('a queue bound with several matching patterns gets one copy', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const got = await routed(s, ch, 'topic', [{ key: 'a.*' }, { key: '#' }, { key: 'a.b' }], [{ key: 'a.b' }, { key: 'z' }]);
    assert.deepEqual(got, [0, 1]);
  });

  test('direct exchange: exact, case-sensitive match of the whole key', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const got = await routed(s, ch, 'direct', [{ key: 'k' }], [{ key: 'k' }, { key: 'K' }, { key: 'k ' }, { key: '' }, { key: 'k.k' }]);
    assert.deepEqual(got, [0]);
  });

  test('fanout exchange: every key', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const got = await routed(s, ch, 'fanout', [{ key: 'k' }], [{ key: 'k' }, { key: 'other' }, { key: '' }]);
    assert.deepEqual(got, [0, 1, 2]);
  });
});

// candidate message headers for the headers-exchange cases
const H: Array<Record<string, unknown>> = [
  { a: 1 }, // 0
  { a: 1, b: 'two' }, // 1
  { a: 1, b: 'two', c: 3 }, // 2
  { b: 'two' }, // 3
  { a: 2 }, // 4
  {}, // 5
  { a: '1' }, // 6: a string is not a number
  { 'x-foo': 'bar' }, // 7
  { 'x-foo': 'bar', a: 1, b: 'two' }, // 8
  { a: 1, b: 'x' }, // 9
  { a: true }, // 10
  { a: null }, // 11
  { a: { '!': 'int32', value: 1 } }, // 12: another integer width still equals 1
  { a: { '!': 'int64', value: 1 } }, // 13
];

const HEADERS: Array<[string, Record<string, unknown>, number[]]> = [
  ['x-match all: every binding header present and equal', { 'x-match': 'all', a: 1, b: 'two' }, [1, 2, 8]],
  ['x-match any: at least one binding header present and equal (integer widths compare equal)', { 'x-match': 'any', a: 1, b: 'two' }, [0, 1, 2, 3, 8, 9, 12, 13]],
  ['no x-match means all', { a: 1, b: 'two' }, [1, 2, 8]],
  ['all with no other arguments matches everything', { 'x-match': 'all' }, H.map((_, i) => i)],
  ['any with no other arguments matches nothing', { 'x-match': 'any' }, []],
  ['empty arguments match everything', {}, H.map((_, i) => i)],
  ["all ignores binding arguments starting with 'x-'", { 'x-match': 'all', 'x-foo': 'bar' }, H.map((_, i) => i)],
  ["any ignores binding arguments starting with 'x-'", { 'x-match': 'any', 'x-foo': 'bar' }, []],
  ["all-with-x compares 'x-' arguments too", { 'x-match': 'all-with-x', 'x-foo': 'bar' }, [7, 8]],
  ["any-with-x compares 'x-' arguments too", { 'x-match': 'any-with-x', 'x-foo': 'bar' }, [7, 8]],
  ['all-with-x needs every argument', { 'x-match': 'all-with-x', 'x-foo': 'bar', a: 1 }, [8]],
  ['any-with-x needs one argument', { 'x-match': 'any-with-x', 'x-foo': 'bar', a: 2 }, [4, 7, 8]],
  ['a void binding value only requires the header to be present (all)', { 'x-match': 'all', a: null }, [0, 1, 2, 4, 6, 8, 9, 10, 11, 12, 13]],
  ['a void binding value only requires the header to be present (any)', { 'x-match': 'any', a: null, z: null }, [0, 1, 2, 4, 6, 8, 9, 10, 11, 12, 13]],
];

describe('headers exchange matching', () => {
  for (const [name, args, expected] of HEADERS) {
    test(name, async (t) => {
      const s = scope(t, broker.url);
      const ch = await s.channel();
      const got = await routed(s, ch, 'headers', [{ key: '', args }], H.map((headers) => ({ headers })));
      assert.deepEqual(got, expected);
    });
  }

  test('an x-match value other than all/any/all-with-x/any-with-x closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const q = s.queue();
    await setup.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const ch1 = await s.channel(conn);
    await expectChannelError(
      ch1,
      () => ch1.bindQueue(q, 'amq.headers', '', { 'x-match': 'some' }),
      {
        code: 406,
        text: 'PRECONDITION_FAILED - Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x',
        classId: 50,
        methodId: 20,
      },
      conn,
    );
    const ch2 = await s.channel(conn);
    await expectChannelError(
      ch2,
      () => ch2.bindQueue(q, 'amq.headers', '', { 'x-match': 1 }),
      { code: 406, text: 'PRECONDITION_FAILED - Invalid x-match field type byte (value 1); expected longstr', classId: 50, methodId: 20 },
      conn,
    );
  });

  test('the routing key is ignored by a headers exchange', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const got = await routed(
      s,
      ch,
      'headers',
      [{ key: 'some-key', args: { 'x-match': 'all', a: 1 } }],
      [
        { key: 'other', headers: { a: 1 } },
        { key: 'some-key', headers: { a: 2 } },
      ],
    );
    assert.deepEqual(got, [0]);
  });
});
