// Shared pieces for store tests: a minimal StoredQueue that remembers its persisted entries, and
// message builders.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Message, rawProperties } from '../../../src/core/message.js';
import { createLogger } from '../../../src/log.js';
import type { RecordHolder, StoredQueue } from '../../../src/store/store.js';

export const silent = createLogger('silent');

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'warren-store-'));

export function message(body: string | Buffer, routingKey = 'rk', persistent = true): Message {
  return new Message('ex', routingKey, rawProperties(persistent ? { deliveryMode: 2, contentType: 'text/plain' } : {}), Buffer.isBuffer(body) ? body : Buffer.from(body));
}

export interface Entry {
  seq: number;
  msg: Message;
  flags: number;
}

/** A queue that keeps its persisted entries in an array (what a real Queue reports at checkpoints). */
export class FakeQueue implements StoredQueue, RecordHolder {
  storeId = 0;
  readonly entries: Entry[] = [];
  pageOuts = 0;
  readonly arguments: Record<string, never> = {};
  constructor(
    readonly vhost: string,
    readonly name: string,
    readonly autoDelete = false,
  ) {}
  forEachPersisted(fn: (seq: number, seg: number, off: number, len: number, size: number, flags: number) => void): void {
    for (const e of this.entries) fn(e.seq, e.msg.seg, e.msg.off, e.msg.len, e.msg.bodySize, e.flags);
  }
  pageOut(): void {
    this.pageOuts += 1;
  }
  collectRecords(seg: number, fn: (off: number, len: number) => void): void {
    for (const e of this.entries) if (e.msg.seg === seg) fn(e.msg.off, e.msg.len);
  }
  relocateRecords(
    seg: number,
    moved: ReadonlyMap<number, readonly [number, number, number]>,
    _touched: Set<object>,
    account: (oldLen: number, newSeg: number, newLen: number) => void,
  ): number {
    let n = 0;
    for (const e of this.entries) {
      const to = e.msg.seg === seg ? moved.get(e.msg.off) : undefined;
      if (!to) continue;
      account(e.msg.len, to[0], to[2]);
      [e.msg.seg, e.msg.off, e.msg.len] = to;
      n += 1;
    }
    return n;
  }
}
