// Codec tests: pinned bytes for methods whose encoding RabbitMQ and clients fix, and property-based
// round trips (fast-check) over every method in the spec and every combination of basic properties.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, FrameSyntaxError } from '../../../src/protocol/byte-reader.js';
import { ByteWriter } from '../../../src/protocol/byte-writer.js';
import type { FieldTable, FieldValue } from '../../../src/protocol/field-value.js';
import { type AnyMethod, decodeMethod, encodeMethod, M, METHOD_NAMES, UnknownMethodError } from '../../../src/protocol/generated/methods.js';
import { type BasicProperties, decodeProperties, encodeProperties } from '../../../src/protocol/generated/properties.js';

const encode = (m: AnyMethod): Buffer => {
  const w = new ByteWriter(16);
  encodeMethod(w, m);
  return Buffer.from(w.bytes());
};
const decode = (b: Buffer): AnyMethod => decodeMethod(new ByteReader().reset(b, 0, b.length));

describe('pinned method bytes', () => {
  test('basic.ack(5, multiple)', () => {
    assert.deepEqual(encode({ id: M.BasicAck, deliveryTag: 5, multiple: true }), Buffer.from('003c0050000000000000000501', 'hex'));
  });
  test('queue.declare packs its five bits into one octet, then the table', () => {
    const b = encode({ id: M.QueueDeclare, ticket: 0, queue: 'q', passive: false, durable: true, exclusive: false, autoDelete: true, nowait: false, arguments: {} });
    assert.equal(b.toString('hex'), '0032000a0000' + '0171' + '0a' + '00000000');
  });
  test('basic.consume with an x-priority argument (signed int, type I)', () => {
    const b = encode({ id: M.BasicConsume, ticket: 0, queue: 'q', consumerTag: '', noLocal: false, noAck: true, exclusive: false, nowait: false, arguments: { 'x-priority': 5 } });
    assert.equal(b.toString('hex'), '003c0014' + '0000' + '0171' + '00' + '02' + '00000010' + '0a782d7072696f72697479' + '49' + '00000005');
  });
  test('connection.tune', () => {
    assert.equal(encode({ id: M.ConnectionTune, channelMax: 2047, frameMax: 131072, heartbeat: 60 }).toString('hex'), '000a001e07ff00020000003c');
  });
  test('exchange.unbind-ok keeps RabbitMQ\'s method id 51', () => {
    assert.equal(M.ExchangeUnbindOk, (40 << 16) | 51);
    assert.deepEqual(decode(Buffer.from('00280033', 'hex')), { id: M.ExchangeUnbindOk });
  });
  test('field table with every type decodes to the documented JS values', () => {
    // key "a" of each type, hand-assembled
    const parts: [string, string][] = [
      ['t', '01'], ['b', 'ff'], ['B', 'ff'], ['s', 'fffe'], ['u', 'fffe'], ['I', 'fffffffe'], ['i', 'fffffffe'],
      ['l', 'fffffffffffffffe'], ['f', '3fc00000'], ['d', '3ff8000000000000'], ['D', '02000004d2'], ['S', '000000026869'],
      ['x', '000000020102'], ['A', '000000024901'.slice(0, 12)], ['T', '0000000065000000'], ['F', '00000000'], ['V', ''],
    ];
    const expected: FieldValue[] = [
      true, { type: 'b', value: -1 }, { type: 'B', value: 255 }, { type: 's', value: -2 }, { type: 'u', value: 65534 }, -2,
      { type: 'i', value: 4294967294 }, -2n, { type: 'f', value: 1.5 }, 1.5, { type: 'D', value: { scale: 2, value: 1234 } }, 'hi',
      Buffer.from([1, 2]), [], { type: 'T', value: 0x65000000 }, {}, null,
    ];
    parts[13] = ['A', '00000000'];
    parts.forEach(([t, hex], i) => {
      const body = Buffer.concat([Buffer.from([1, 0x61, t.charCodeAt(0)]), Buffer.from(hex, 'hex')]);
      const buf = Buffer.concat([Buffer.alloc(4), body]);
      buf.writeUInt32BE(body.length, 0);
      const table = new ByteReader().reset(buf, 0, buf.length).table();
      assert.deepEqual(table.a, expected[i], `type ${t}`);
      const w = new ByteWriter();
      w.table(table);
      assert.deepEqual(Buffer.from(w.bytes()), buf, `re-encoding type ${t} is byte-exact`);
    });
  });
  test('truncated arguments raise FrameSyntaxError; unknown ids raise UnknownMethodError', () => {
    assert.throws(() => decode(Buffer.from('0032000a00', 'hex')), FrameSyntaxError);
    assert.throws(() => decode(Buffer.from('00630001', 'hex')), UnknownMethodError);
    assert.throws(() => decode(Buffer.from('0032006300', 'hex')), UnknownMethodError);
  });
});

// --- property-based round trips ---------------------------------------------------------------

const shortstr = fc.string({ maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255);
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

const fieldValue: fc.Arbitrary<FieldValue> = fc.letrec<{ value: FieldValue; table: FieldTable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    int32,
    fc.double({ noNaN: true }).filter((d) => !(Number.isInteger(d) && d >= -0x80000000 && d <= 0x7fffffff && !Object.is(d, -0))),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
    fc.constant(null),
    fc.record({ type: fc.constant('b' as const), value: fc.integer({ min: -128, max: 127 }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('B' as const), value: fc.integer({ min: 0, max: 255 }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('s' as const), value: fc.integer({ min: -32768, max: 32767 }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('u' as const), value: fc.integer({ min: 0, max: 65535 }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('i' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('f' as const), value: fc.float({ noNaN: true }).map((f) => Math.fround(f)) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('T' as const), value: fc.integer({ min: 0, max: 2 ** 40 }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant('D' as const), value: fc.record({ scale: fc.integer({ min: 0, max: 255 }), value: int32 }, { noNullPrototype: true }) }, { noNullPrototype: true }),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('table'),
  ),
  table: fc.dictionary(shortstr.filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 4, noNullPrototype: true }),
})).value;
const table = fc.dictionary(shortstr.filter((k) => k !== '__proto__'), fieldValue, { maxKeys: 5, noNullPrototype: true });

const spec = JSON.parse(readFileSync(new URL('../../../../shared/amqp/amqp-rabbitmq-0.9.1.json', import.meta.url), 'utf8')) as {
  domains: [string, string][];
  classes: { id: number; name: string; methods: { id: number; name: string; arguments: { name: string; type?: string; domain?: string }[] }[] }[];
};
const domains = new Map(spec.domains);
const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const ARB: Record<string, fc.Arbitrary<unknown>> = {
  bit: fc.boolean(),
  octet: fc.integer({ min: 0, max: 255 }),
  short: fc.integer({ min: 0, max: 65535 }),
  long: fc.integer({ min: 0, max: 0xffffffff }),
  longlong: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  shortstr,
  longstr: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  table,
};

describe('round trips', () => {
  const methods = spec.classes.flatMap((c) => c.methods.map((m) => ({ c, m })));
  test('the spec file and the generated code list the same methods', () => {
    assert.equal(Object.keys(METHOD_NAMES).length, methods.length);
  });
  for (const { c, m } of methods) {
    test(`${c.name}.${m.name}`, () => {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const a of m.arguments) fields[camel(a.name)] = ARB[a.type ?? domains.get(a.domain ?? '') ?? ''] as fc.Arbitrary<unknown>;
      const id = (c.id << 16) | m.id;
      fc.assert(
        fc.property(fc.record(fields, { noNullPrototype: true }), (args) => {
          const method = { id, ...args } as unknown as AnyMethod;
          const bytes = encode(method);
          assert.deepEqual(decode(bytes), method);
          assert.deepEqual(encode(decode(bytes)), bytes);
        }),
        { numRuns: 60 },
      );
    });
  }
  test('basic properties: every subset of the 14 properties', () => {
    const props = fc.record(
      {
        contentType: shortstr, contentEncoding: shortstr, headers: table, deliveryMode: fc.integer({ min: 0, max: 255 }),
        priority: fc.integer({ min: 0, max: 255 }), correlationId: shortstr, replyTo: shortstr, expiration: shortstr,
        messageId: shortstr, timestamp: fc.integer({ min: 0, max: 2 ** 40 }), type: shortstr, userId: shortstr, appId: shortstr, clusterId: shortstr,
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    fc.assert(
      fc.property(props, (p) => {
        const w = new ByteWriter();
        encodeProperties(w, p as BasicProperties);
        const bytes = Buffer.from(w.bytes());
        const back = decodeProperties(new ByteReader().reset(bytes, 0, bytes.length));
        assert.deepEqual(back, p);
      }),
      { numRuns: 300 },
    );
  });
});
