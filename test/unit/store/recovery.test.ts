// DiskStore recovery: what survives a close or a crash (abandon), checkpoints, reclamation, and
// damaged files (torn tail, flipped bytes, missing segment).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DiskStore } from '../../../src/store/disk-store.js';
import type { RecoveredQueue } from '../../../src/store/store.js';
import { type Entry, FakeQueue, message, silent, tempDir } from './helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const fresh = (): string => {
  const d = tempDir();
  dirs.push(d);
  return d;
};

/** Opens a store, declares one queue and enqueues `n` persistent messages. */
async function populate(dir: string, n: number, opts = {}): Promise<{ store: DiskStore; q: FakeQueue }> {
  const store = new DiskStore(dir, silent, opts);
  store.recover();
  const q = new FakeQueue('/', 'durable-q');
  q.storeId = store.addQueue(q);
  for (let i = 1; i <= n; i++) {
    const msg = message(`body-${i}`);
    store.write(msg);
    store.ref(msg.seg, msg.len);
    store.enqueue(q.storeId, i, msg, 0);
    q.entries.push({ seq: i, msg, flags: 0 });
  }
  await store.flush();
  return { store, q };
}

function entriesOf(r: RecoveredQueue): { seq: number; flags: number; seg: number; off: number; len: number }[] {
  const out: { seq: number; flags: number; seg: number; off: number; len: number }[] = [];
  r.forEach((seq, seg, off, len, _size, flags) => out.push({ seq, flags, seg, off, len }));
  return out;
}

function reopen(dir: string, opts = {}): { store: DiskStore; recovered: RecoveredQueue[] } {
  const store = new DiskStore(dir, silent, opts);
  return { store, recovered: store.recover() };
}

const walFiles = (dir: string): string[] => readdirSync(join(dir, 'store')).filter((f) => f.endsWith('.wal')).sort();

describe('DiskStore recovery', () => {
  test('entries survive a close; acked ones do not; delivered ones come back redelivered; order kept', async () => {
    const dir = fresh();
    const { store, q } = await populate(dir, 10);
    store.delivered(q.storeId, 3);
    store.ack(q.storeId, 1);
    store.ack(q.storeId, 5);
    q.entries.splice(0, 1);
    q.entries.splice(3, 1);
    (q.entries.find((e) => e.seq === 3) as Entry).flags = 1;
    await store.close();
    const { store: s2, recovered } = reopen(dir);
    assert.equal(recovered.length, 1);
    const r = recovered[0] as RecoveredQueue;
    assert.equal(r.name, 'durable-q');
    const es = entriesOf(r);
    assert.deepEqual(es.map((e) => e.seq), [2, 3, 4, 6, 7, 8, 9, 10]);
    assert.deepEqual(es.filter((e) => e.flags & 1).map((e) => e.seq), [3]);
    const first = es[0] as (typeof es)[0];
    assert.equal(s2.read(first.seg, first.off, first.len).body.toString(), 'body-2');
    await s2.close();
  });

  test('a crash (no final checkpoint) is recovered by replaying the log', async () => {
    const dir = fresh();
    const { store, q } = await populate(dir, 50);
    store.ack(q.storeId, 1);
    store.delivered(q.storeId, 2);
    await store.abandon();
    const { store: s2, recovered } = reopen(dir);
    const es = entriesOf(recovered[0] as RecoveredQueue);
    assert.equal(es.length, 49);
    assert.equal(es[0]?.seq, 2);
    assert.equal((es[0]?.flags ?? 0) & 1, 1, 'delivered before the crash → redelivered');
    await s2.close();
  });

  test('a deleted queue does not come back', async () => {
    const dir = fresh();
    const { store, q } = await populate(dir, 5);
    store.removeQueue(q.storeId);
    await store.abandon();
    const { store: s2, recovered } = reopen(dir);
    assert.equal(recovered.length, 0);
    await s2.close();
  });

  test('a torn tail is cut off; everything before it survives and new writes work', async () => {
    const dir = fresh();
    const { store } = await populate(dir, 20);
    await store.abandon();
    const [last] = walFiles(dir).slice(-1) as [string];
    const path = join(dir, 'store', last);
    truncateSync(path, statSync(path).size - 7); // cut into the last ENQ record
    const { store: s2, recovered } = reopen(dir);
    const es = entriesOf(recovered[0] as RecoveredQueue);
    assert.equal(es.length, 19, 'the torn last record is dropped');
    assert.deepEqual(es.map((e) => e.seq), Array.from({ length: 19 }, (_v, i) => i + 1));
    const m = message('after');
    s2.write(m);
    await s2.flush();
    assert.equal(s2.read(m.seg, m.off, m.len).body.toString(), 'after');
    await s2.close();
  });

  test('a record with flipped bytes in the middle is reported and skipped; the rest survives', async () => {
    const dir = fresh();
    const { store, q } = await populate(dir, 10);
    const victim = q.entries[4]?.msg; // seq 5: corrupt its message record
    await store.abandon();
    assert.ok(victim, "entry 5 exists");
    const path = join(dir, 'store', walFiles(dir)[0] as string);
    const bytes = readFileSync(path);
    bytes[victim.off + victim.len - 2] ^= 0xff;
    writeFileSync(path, bytes);
    const { store: s2, recovered } = reopen(dir);
    const es = entriesOf(recovered[0] as RecoveredQueue);
    assert.equal(es.length, 10, 'the ENQ records are intact');
    // the damaged message record is detected when read back
    const bad = es.find((e) => e.seq === 5);
    assert.ok(bad, "entry 5 recovered");
    assert.throws(() => s2.read(bad.seg, bad.off, bad.len), /damaged/);
    const good = es.find((e) => e.seq === 6);
    assert.ok(good, "entry 6 recovered");
    assert.equal(s2.read(good.seg, good.off, good.len).body.toString(), 'body-6');
    await s2.close();
  });

  test('a corrupt event record is skipped and replay continues after it', async () => {
    const dir = fresh();
    const { store } = await populate(dir, 3);
    await store.abandon();
    const path = join(dir, 'store', walFiles(dir)[0] as string);
    const bytes = readFileSync(path);
    // ENQ records are 37 bytes; the last three records are ENQs for seqs 1..3 interleaved with MSGs:
    // corrupt the payload of the final ENQ (seq 3)
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(path, bytes);
    const { store: s2, recovered } = reopen(dir);
    assert.deepEqual(entriesOf(recovered[0] as RecoveredQueue).map((e) => e.seq), [1, 2]);
    await s2.close();
  });

  test('a missing segment loses only its messages; the store starts', async () => {
    const dir = fresh();
    const { store } = await populate(dir, 400, { segmentSize: 4096 });
    await store.abandon();
    const files = walFiles(dir);
    assert.ok(files.length > 3, 'several segments were written');
    unlinkSync(join(dir, 'store', files[1] as string));
    const { store: s2, recovered } = reopen(dir, { segmentSize: 4096 });
    const es = recovered[0] ? entriesOf(recovered[0]) : [];
    assert.ok(es.length > 0 && es.length < 400, `some but not all entries survive (${es.length})`);
    await s2.close();
  });

  test('acked messages free their segments once a checkpoint passes them', async () => {
    const dir = fresh();
    const opts = { segmentSize: 64 * 1024, checkpointBytes: 128 * 1024 };
    const { store, q } = await populate(dir, 3000, opts);
    const before = walFiles(dir).length;
    assert.ok(before >= 3, `several segments were written (${before})`);
    for (const e of q.entries) {
      store.ack(q.storeId, e.seq);
      store.unref(e.msg.seg, e.msg.len);
    }
    q.entries.length = 0;
    // push more writes through so a checkpoint happens past the acked segments
    for (let i = 0; i < 3000; i++) store.write(message(`filler-${i}`, 'rk', false));
    await store.flush();
    await store.flush();
    await store.close();
    const after = walFiles(dir).length;
    assert.ok(after < before, `segments reclaimed: ${before} → ${after}`);
    const { store: s2, recovered } = reopen(dir, opts);
    assert.equal(recovered[0] ? entriesOf(recovered[0]).length : 0, 0);
    await s2.close();
  });

  test('segments pinned by a few old messages are compacted; those messages survive a reopen', async () => {
    const dir = fresh();
    const opts = { segmentSize: 32 * 1024, checkpointBytes: 64 * 1024 };
    const { store, q } = await populate(dir, 4000, opts);
    store.setHolders(() => [q]);
    // keep every 200th message, ack the rest: each old segment is pinned by one or two messages
    const kept = q.entries.filter((e) => e.seq % 200 === 0);
    for (const e of q.entries) {
      if (e.seq % 200 === 0) continue;
      store.ack(q.storeId, e.seq);
      store.unref(e.msg.seg, e.msg.len);
    }
    q.entries.splice(0, q.entries.length, ...kept);
    const pinned = walFiles(dir).length;
    // more traffic drives checkpoints, which compact the sparse segments and then drop them; each
    // step needs a commit and a checkpoint, so go on until done (bounded)
    for (let round = 0; round < 300 && walFiles(dir).length >= pinned / 2; round++) {
      for (let i = 0; i < 800; i++) store.write(message(`filler-${round}-${i}`, 'rk', false));
      await store.flush();
      await store.flush();
    }
    const after = walFiles(dir).length;
    assert.ok(after < pinned / 2, `sparse segments compacted away: ${pinned} → ${after} files`);
    for (const e of kept) assert.equal(store.read(e.msg.seg, e.msg.off, e.msg.len).body.toString(), `body-${e.seq}`);
    await store.close();
    const { store: s2, recovered } = reopen(dir, opts);
    const es = entriesOf(recovered[0] as RecoveredQueue);
    assert.deepEqual(es.map((e) => e.seq), kept.map((e) => e.seq));
    for (const e of es) assert.equal(s2.read(e.seg, e.off, e.len).body.toString(), `body-${e.seq}`);
    await s2.close();
  });
});
