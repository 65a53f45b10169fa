// The MessageStore contract: every implementation (MemoryStore, DiskStore) must pass these.
// Durable-only behaviour (what survives a reopen) is in recovery.test.ts.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { DiskStore } from '../../../src/store/disk-store.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { MessageStore } from '../../../src/store/store.js';
import { FakeQueue, message, silent, tempDir } from './helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const implementations: [string, () => MessageStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  [
    'DiskStore',
    () => {
      const d = tempDir();
      dirs.push(d);
      return new DiskStore(d, silent);
    },
  ],
];

const synced = (s: MessageStore): Promise<void> => new Promise((resolve) => s.sync({ durable: () => resolve() }));

for (const [name, make] of implementations) {
  describe(`MessageStore contract: ${name}`, () => {
    test('a written message reads back byte-for-byte (empty, small and 1 MiB bodies)', async () => {
      const s = make();
      s.recover();
      const bodies = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(1024 * 1024, 7)];
      const msgs = bodies.map((b, i) => message(b, `key-${i}`));
      for (const m of msgs) s.write(m);
      await synced(s);
      for (const m of msgs) {
        assert.ok(s.isWritten(m), "record is written");
        const back = s.read(m.seg, m.off, m.len);
        assert.equal(back.exchange, 'ex');
        assert.equal(back.routingKey, m.routingKey);
        assert.deepEqual(back.propsRaw, m.propsRaw);
        assert.deepEqual(back.body, m.body);
        assert.equal(back.persistent, true);
      }
      await s.close();
    });

    test('writing a message twice stores it once (a fanout is stored once)', async () => {
      const s = make();
      s.recover();
      const m = message('once');
      s.write(m);
      const loc = [m.seg, m.off, m.len];
      s.write(m);
      assert.deepEqual([m.seg, m.off, m.len], loc);
      await s.close();
    });

    test('sync waiters are called once each, in order', async () => {
      const s = make();
      s.recover();
      const calls: number[] = [];
      const all = [1, 2, 3].map(
        (i) =>
          new Promise<void>((resolve) => {
            s.write(message(`m${i}`));
            s.sync({
              durable: (err) => {
                assert.equal(err, null);
                calls.push(i);
                resolve();
              },
            });
          }),
      );
      await Promise.all(all);
      assert.deepEqual(calls, [1, 2, 3]);
      await s.close();
    });

    test('queues get distinct ids; entry events are accepted for them', async () => {
      const s = make();
      s.recover();
      const a = new FakeQueue('/', 'a');
      const b = new FakeQueue('/', 'b');
      a.storeId = s.addQueue(a);
      b.storeId = s.addQueue(b);
      assert.notEqual(a.storeId, b.storeId);
      const m = message('x');
      s.write(m);
      s.ref(m.seg, m.len);
      s.enqueue(a.storeId, 1, m, 0);
      s.delivered(a.storeId, 1);
      s.ack(a.storeId, 1);
      s.unref(m.seg, m.len);
      s.removeQueue(b.storeId);
      await synced(s);
      await s.close();
    });

    test('pageLater calls pageOut after the next commit', async () => {
      const s = make();
      s.recover();
      const q = new FakeQueue('/', 'p');
      s.write(message('y'));
      s.pageLater(q);
      await synced(s);
      await new Promise((r) => setImmediate(r));
      assert.equal(q.pageOuts, 1);
      await s.close();
    });
  });
}
