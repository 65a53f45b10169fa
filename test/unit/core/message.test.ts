// Message.persistent reads the delivery-mode octet in place (it runs for every message routed to a
// durable queue); it must agree with a full decode of the properties for any property set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Message, rawProperties } from '../../../src/core/message.js';

test('persistent agrees with the decoded delivery_mode for any combination of properties', () => {
  const str = fc.string({ maxLength: 30 });
  const props = fc.record(
    {
      contentType: str,
      contentEncoding: str,
      headers: fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 5, noNullPrototype: true }),
      deliveryMode: fc.integer({ min: 0, max: 255 }),
      priority: fc.integer({ min: 0, max: 9 }),
      correlationId: str,
    },
    { requiredKeys: [], noNullPrototype: true },
  );
  fc.assert(
    fc.property(props, (p) => {
      const m = new Message('ex', 'rk', rawProperties(p), Buffer.alloc(0));
      assert.equal(m.persistent, p.deliveryMode === 2, JSON.stringify(p));
    }),
    { numRuns: 500 },
  );
});
