// The message store keeps each entry's expiry time (message TTL) across a crash (WAL replay of ENQ
// records with the optional expiry field) and a clean close (checkpoint ENQX records), and entries
// without one still read as before (0).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { DiskStore } from '../../../src/store/disk-store.js';
import type { RecoveredQueue } from '../../../src/store/store.js';
import { FakeQueue, message, silent, tempDir } from './helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A FakeQueue that also reports its entries' expiry times at checkpoints, as Queue does. */
class ExpiringQueue extends FakeQueue {
  readonly expiry = new Map<number, number>();
  override forEachPersisted(fn: (seq: number, seg: number, off: number, len: number, size: number, flags: number, expiresAt: number) => void): void {
    for (const e of this.entries) fn(e.seq, e.msg.seg, e.msg.off, e.msg.len, e.msg.bodySize, e.flags, this.expiry.get(e.seq) ?? 0);
  }
}

/** seq 1..6; the even ones expire at 1e12 + seq. */
async function populate(): Promise<{ dir: string; store: DiskStore; q: ExpiringQueue }> {
  const dir = tempDir();
  dirs.push(dir);
  const store = new DiskStore(dir, silent, {});
  store.recover();
  const q = new ExpiringQueue('/', 'ttl-q');
  q.storeId = store.addQueue(q);
  for (let seq = 1; seq <= 6; seq++) {
    const msg = message(`m${seq}`);
    const exp = seq % 2 === 0 ? 1e12 + seq : 0;
    store.write(msg);
    store.ref(msg.seg, msg.len);
    store.enqueue(q.storeId, seq, msg, 0, exp);
    q.entries.push({ seq, msg, flags: 0 });
    if (exp !== 0) q.expiry.set(seq, exp);
  }
  await store.flush();
  return { dir, store, q };
}

function expiries(r: RecoveredQueue): [number, number][] {
  const out: [number, number][] = [];
  r.forEach((seq, _seg, _off, _len, _size, _flags, expiresAt) => out.push([seq, expiresAt]));
  return out;
}

const EXPECTED: [number, number][] = [1, 2, 3, 4, 5, 6].map((s) => [s, s % 2 === 0 ? 1e12 + s : 0]);

describe('DiskStore: entry expiry times', () => {
  test('survive a crash (replayed from the log)', async () => {
    const { dir, store } = await populate();
    await store.abandon();
    const s2 = new DiskStore(dir, silent, {});
    assert.deepEqual(expiries(s2.recover()[0] as RecoveredQueue), EXPECTED);
    await s2.close();
  });

  test('survive a clean close (checkpoint), mixed with entries without one, in order', async () => {
    const { dir, store } = await populate();
    await store.close();
    const s2 = new DiskStore(dir, silent, {});
    assert.deepEqual(expiries(s2.recover()[0] as RecoveredQueue), EXPECTED);
    await s2.close();
  });
});
