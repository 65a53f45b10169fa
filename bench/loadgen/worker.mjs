// A load-generator worker: a child process (forked by pool.mjs) that runs some producers and/or
// consumers, each on its own connection, and answers its parent's commands over IPC.
//
// Commands ({ id, cmd, ... } → reply { id, ok, result | error }):
//   init    { runId, producers: [spec], consumers: [spec] }   connect, declare nothing, start consuming
//   start                                                      producers start publishing
//   mark                                                       counters + histograms since the last mark, then reset the histograms
//   stop    { timeoutMs }                                      producers stop and wait for their outstanding confirms
//   report                                                     full per-producer / per-consumer detail
//   close                                                      close connections, reply with CPU use, exit
// Events sent unasked: { event: 'progress', ... } every 250 ms while something changes,
// { event: 'error', message } when a connection fails, { event: 'done', producer } when a producer
// with a fixed count has had all its messages confirmed.
import { connect, hrtimeNs } from './amqp.mjs';
import {
  buildPublish, MAGIC, OFF_MAGIC, OFF_RUN, OFF_PRODUCER, OFF_SIZE, OFF_SEQ, OFF_TIME,
  BODY_HEADER, SMALL_HEADER, S_OFF_SEQ, S_OFF_PRODUCER, S_OFF_RUN, S_OFF_TIME,
} from './message.mjs';
import { Hist } from './hist.mjs';

const send = (m) => { if (process.connected) process.send(m); };
const errorText = (e) => (e && e.message) || String(e);

class Producer {
  constructor(spec, runId) {
    this.spec = spec;
    this.runId = runId;
    this.id = spec.id;
    this.window = spec.window ?? 100; // 0 = no confirms
    this.count = spec.count ?? 0; // 0 = until stopped
    this.rate = spec.rate ?? 0; // msg/s, 0 = as fast as the window allows
    this.published = 0;
    this.confirmed = 0;
    this.nacked = 0;
    this.lowWater = 0; // every seq <= lowWater is settled
    this.running = false;
    this.stopping = false;
    this.waitingDrain = false;
    this.timer = null;
    this.firstSendNs = 0;
    this.lastConfirmNs = 0;
    this.confirmHist = new Hist();
    this.error = null;
    this.doneSent = false;
    this.settledWaiters = [];
    this.writes = 0;
    this.drains = 0;
  }

  async init() {
    const s = this.spec;
    this.conn = await connect(s.url, { name: `loadgen-producer-${this.id}` });
    this.conn.onClose = (err) => this.fail(err);
    this.ch = await this.conn.openChannel();
    this.ch.onError = (err) => this.fail(err);
    if (this.window > 0) await this.ch.confirmSelect();
    // spec.keys: routing keys (all the same length) used in turn, message seq gets keys[(seq - 1) % keys.length]
    this.keys = (s.keys ?? []).map((k) => Buffer.from(k, 'utf8'));
    const t = buildPublish({
      channel: this.ch.n, exchange: s.exchange ?? '', routingKey: s.keys?.[0] ?? s.routingKey ?? s.queue, size: s.size,
      persistent: s.persistent !== false, priority: s.priority, frameMax: this.conn.frameMax, runId: this.runId, producerId: this.id,
    });
    this.msgLen = t.buf.length;
    this.seqOffset = t.seqOffset;
    this.timeOffset = t.timeOffset;
    this.keyOffset = t.keyOffset;
    if (this.keys.some((k) => k.length !== this.keys[0].length)) throw new Error('routing keys must all have the same length');
    // One batch buffer holds up to batchMsgs messages, pre-filled with copies of the template, so
    // a batch only patches seq and time in place. A buffer is reused once its write has completed.
    this.batchMsgs = Math.max(1, Math.min(s.batch ?? 256, this.window > 0 ? this.window : 256, Math.floor((4 << 20) / this.msgLen) || 1));
    this.template = t.buf;
    this.pool = [];
    this.buffersMade = 0;
    this.maxBuffers = this.window > 0 ? Math.ceil(this.window / this.batchMsgs) + 4 : 4;
    let ring = 256;
    while (ring < 2 * Math.max(this.window, 1)) ring *= 2;
    this.mask = ring - 1;
    this.sentAt = new Float64Array(ring);
    this.settled = new Uint8Array(ring);
    this.ch.onAck = (tag, multiple, nack) => this.onAck(tag, multiple, nack);
    this.ch.onReturn = (code, text) => this.fail(new Error(`basic.return ${code} ${text}`));
    this.conn.onChunkEnd = () => { if (this.running) this.pump(); };
    this.pumpFn = () => this.pump();
    this.starved = false;
    this.onDrain = () => { this.waitingDrain = false; this.drains++; this.pump(); };
  }

  getBuffer() {
    if (this.pool.length > 0) return this.pool.pop();
    if (this.buffersMade >= this.maxBuffers) return null;
    this.buffersMade++;
    const b = Buffer.allocUnsafe(this.batchMsgs * this.msgLen);
    for (let i = 0; i < this.batchMsgs; i++) this.template.copy(b, i * this.msgLen);
    return b;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.startNs = hrtimeNs();
    this.pump();
  }

  pump() {
    if (!this.running || this.stopping || this.waitingDrain || this.error) return;
    for (;;) {
      let n = this.batchMsgs;
      if (this.window > 0) n = Math.min(n, this.window - (this.published - this.lowWater));
      if (this.count > 0) n = Math.min(n, this.count - this.published);
      if (this.rate > 0) {
        const allowed = Math.floor((this.rate * (hrtimeNs() - this.startNs)) / 1e9) + 1 - this.published;
        if (allowed <= 0) {
          if (this.timer === null) this.timer = setTimeout(() => { this.timer = null; this.pump(); }, Math.max(1, Math.ceil(1000 / this.rate)));
          return;
        }
        n = Math.min(n, allowed);
      }
      if (n <= 0) return;
      const buf = this.getBuffer();
      if (buf === null) { this.starved = true; return; } // all batch buffers are in the socket; a write callback pumps again
      const now = hrtimeNs();
      if (this.firstSendNs === 0) this.firstSendNs = now;
      const len = this.msgLen, mask = this.mask;
      let off = 0;
      for (let i = 0; i < n; i++) {
        const seq = ++this.published;
        buf.writeUInt32LE(seq, off + this.seqOffset);
        buf.writeDoubleLE(now, off + this.timeOffset);
        if (this.keys.length > 1) this.keys[(seq - 1) % this.keys.length].copy(buf, off + this.keyOffset);
        this.sentAt[seq & mask] = now;
        off += len;
      }
      const chunk = n === this.batchMsgs ? buf : buf.subarray(0, n * len);
      this.writes++;
      const ok = this.conn.write(chunk, () => {
        this.pool.push(buf);
        if (this.starved) { this.starved = false; setImmediate(this.pumpFn); }
      });
      if (this.window === 0) this.confirmed = this.published; // no confirms: count as sent
      if (!ok) {
        this.waitingDrain = true;
        this.conn.socket.once('drain', this.onDrain);
        return;
      }
      if (this.window === 0 && this.count > 0 && this.published >= this.count) { this.checkSettled(); return; }
    }
  }

  onAck(tag, multiple, nack) {
    const now = hrtimeNs();
    const mask = this.mask;
    if (multiple) {
      for (let s = this.lowWater + 1; s <= tag; s++) {
        if (this.settled[s & mask] === 0) this.settle(s, now, nack);
      }
    } else if (tag > this.lowWater && tag <= this.published && this.settled[tag & mask] === 0) {
      this.settle(tag, now, nack);
    }
    while (this.lowWater < this.published && this.settled[(this.lowWater + 1) & mask] === 1) {
      this.lowWater++;
      this.settled[this.lowWater & mask] = 0;
    }
    this.lastConfirmNs = now;
    this.checkSettled();
  }

  settle(seq, now, nack) {
    this.settled[seq & this.mask] = 1;
    if (nack) this.nacked++;
    else this.confirmed++;
    this.confirmHist.record(now - this.sentAt[seq & this.mask]);
  }

  checkSettled() {
    if (this.lowWater === this.published || this.window === 0) {
      const w = this.settledWaiters;
      this.settledWaiters = [];
      for (const f of w) f();
      if (this.count > 0 && this.published >= this.count && !this.doneSent) {
        this.doneSent = true;
        send({ event: 'done', producer: this.id, firstSendNs: this.firstSendNs, lastConfirmNs: this.lastConfirmNs || hrtimeNs() });
      }
    }
  }

  /** Stops publishing; resolves once every published message is settled, or after timeoutMs. */
  stop(timeoutMs) {
    this.stopping = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.error || this.window === 0 || this.lowWater === this.published) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.settledWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  fail(err) {
    if (this.error) return;
    if (this.closingByUs) return;
    this.error = errorText(err);
    send({ event: 'error', who: `producer ${this.id}`, message: this.error });
    const w = this.settledWaiters;
    this.settledWaiters = [];
    for (const f of w) f();
  }

  stats() {
    return {
      id: this.id, published: this.published, confirmed: this.confirmed, nacked: this.nacked,
      outstanding: this.window > 0 ? this.published - this.lowWater : 0, firstSendNs: this.firstSendNs, lastConfirmNs: this.lastConfirmNs,
      writes: this.writes, drains: this.drains, error: this.error,
      blockedMs: this.conn ? this.conn.blockedNs / 1e6 : 0,
    };
  }

  async close() {
    this.closingByUs = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.conn) await this.conn.close(3000);
  }
}

class Consumer {
  constructor(spec, runId) {
    this.spec = spec;
    this.runId = runId;
    this.id = spec.id;
    this.size = spec.size;
    this.ackEvery = Math.max(1, spec.ackEvery ?? 50);
    this.noAck = spec.noAck === true; // auto-ack: no basic.qos, no acks
    this.contiguous = spec.contiguous !== false;
    const np = spec.producerCount ?? 64;
    this.perProducer = new Float64Array(np);
    this.lastSeq = new Float64Array(np);
    this.received = 0;
    this.reordered = 0;
    this.gaps = 0;
    this.badSize = 0;
    this.badMagic = 0;
    this.foreign = 0;
    this.badPattern = 0;
    this.badProducer = 0;
    this.redelivered = 0;
    this.firstRecvNs = 0;
    this.lastRecvNs = 0;
    this.e2eHist = new Hist();
    this.pendingAcks = 0;
    this.lastTag = 0;
    this.ackTimer = null;
    this.error = null;
    // per-message state
    this.curTag = 0;
    this.curRedelivered = false;
    this.bodySize = 0;
    this.bodyGot = 0;
    this.curProducer = -1;
    this.curSeq = 0;
    this.curTime = 0;
    this.curSizeField = 0;
    this.curOk = false;
  }

  async init() {
    const s = this.spec;
    this.conn = await connect(s.url, { name: `loadgen-consumer-${this.id}` });
    this.conn.stampChunks = true;
    this.conn.onClose = (err) => this.fail(err);
    this.ch = await this.conn.openChannel();
    this.ch.onError = (err) => this.fail(err);
    this.ch.onCancel = () => this.fail(new Error('consumer cancelled by the broker (basic.cancel)'));
    if (!this.noAck) await this.ch.qos(s.prefetch ?? 100);
    this.ch.onDeliver = (tag, redelivered) => {
      this.curTag = tag;
      this.curRedelivered = redelivered;
      this.bodyGot = 0;
    };
    this.ch.onContentHeader = (size) => {
      this.bodySize = size;
      if (size === 0) { this.badSize++; this.finish(0); }
    };
    this.ch.onContentBody = (buf, start, end) => this.onBody(buf, start, end);
    this.conn.onChunkEnd = () => this.afterChunk();
    this.flushAcks = () => {
      this.ackTimer = null;
      if (this.pendingAcks > 0 && !this.conn.closed) { this.ch.ack(this.lastTag, true); this.pendingAcks = 0; }
    };
    this.consumeNs = hrtimeNs();
    await this.ch.consume(s.queue, { noAck: this.noAck });
  }

  onBody(buf, start, end) {
    if (this.bodyGot === 0) {
      if (this.bodySize < BODY_HEADER && end - start >= SMALL_HEADER) {
        this.curOk = true;
        this.curRun = buf.readUInt16LE(start + S_OFF_RUN);
        this.curProducer = buf.readUInt16LE(start + S_OFF_PRODUCER);
        this.curSizeField = this.bodySize;
        this.curSeq = buf.readUInt32LE(start + S_OFF_SEQ);
        this.curTime = buf.readDoubleLE(start + S_OFF_TIME);
      } else if (end - start >= BODY_HEADER) {
        this.curOk = buf.readUInt32LE(start + OFF_MAGIC) === MAGIC;
        this.curRun = buf.readUInt32LE(start + OFF_RUN);
        this.curProducer = buf.readUInt32LE(start + OFF_PRODUCER);
        this.curSizeField = buf.readUInt32LE(start + OFF_SIZE);
        this.curSeq = buf.readUInt32LE(start + OFF_SEQ);
        this.curTime = buf.readDoubleLE(start + OFF_TIME);
      } else {
        this.curOk = false;
      }
    }
    this.bodyGot += end - start;
    if (this.bodyGot >= this.bodySize) this.finish(end > start ? buf[end - 1] : -1);
  }

  finish(lastByte) {
    this.received++;
    this.pendingAcks++;
    this.lastTag = this.curTag;
    const now = this.conn.recvNs;
    if (this.firstRecvNs === 0) this.firstRecvNs = now;
    this.lastRecvNs = now;
    if (this.curRedelivered) this.redelivered++;
    if (!this.curOk) { this.badMagic++; return; }
    const size = this.bodySize;
    if (this.curRun !== (size < BODY_HEADER ? this.runId & 0xffff : this.runId)) { this.foreign++; return; }
    if (this.curSizeField !== size || this.bodyGot !== size || (this.size && size !== this.size)) this.badSize++;
    if (size > SMALL_HEADER && lastByte !== ((size - 1) & 0xff)) this.badPattern++;
    const p = this.curProducer;
    if (p >= this.perProducer.length) { this.badProducer++; return; }
    this.perProducer[p]++;
    const last = this.lastSeq[p];
    const seq = this.curSeq;
    if (seq <= last) this.reordered++;
    else {
      if (this.contiguous && seq !== last + 1) this.gaps += seq - last - 1;
      this.lastSeq[p] = seq;
    }
    this.e2eHist.record(now - this.curTime);
  }

  afterChunk() {
    if (this.noAck) { this.pendingAcks = 0; return; }
    if (this.pendingAcks >= this.ackEvery) {
      this.ch.ack(this.lastTag, true);
      this.pendingAcks = 0;
    } else if (this.pendingAcks > 0 && this.ackTimer === null) {
      this.ackTimer = setTimeout(this.flushAcks, 5);
    }
  }

  fail(err) {
    if (this.error || this.closingByUs) return;
    this.error = errorText(err);
    send({ event: 'error', who: `consumer ${this.id}`, message: this.error });
  }

  stats() {
    return {
      id: this.id, queue: this.spec.queue, received: this.received, perProducer: Array.from(this.perProducer),
      lastSeq: Array.from(this.lastSeq), reordered: this.reordered, gaps: this.gaps, badSize: this.badSize,
      badMagic: this.badMagic, foreign: this.foreign, badPattern: this.badPattern, badProducer: this.badProducer,
      redelivered: this.redelivered, consumeNs: this.consumeNs, firstRecvNs: this.firstRecvNs, lastRecvNs: this.lastRecvNs,
      unacked: this.pendingAcks, lastTag: this.lastTag,
      error: this.error,
    };
  }

  async close() {
    this.closingByUs = true;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    if (this.conn && !this.conn.closed && this.pendingAcks > 0 && !this.noAck) { this.ch.ack(this.lastTag, true); this.pendingAcks = 0; }
    if (this.conn) await this.conn.close(3000);
  }
}

// ---------------------------------------------------------------------------------------------

let producers = [];
let consumers = [];
let lastProgress = '';

function sums() {
  let published = 0, confirmed = 0, nacked = 0, received = 0;
  for (const p of producers) { published += p.published; confirmed += p.confirmed; nacked += p.nacked; }
  for (const c of consumers) received += c.received;
  return { published, confirmed, nacked, received };
}

function snapshot(reset) {
  const confirm = new Hist();
  for (const p of producers) { confirm.merge(p.confirmHist); if (reset) p.confirmHist.reset(); }
  const e2e = new Hist();
  for (const c of consumers) { e2e.merge(c.e2eHist); if (reset) c.e2eHist.reset(); }
  return { t: hrtimeNs(), cpu: process.cpuUsage(), ...sums(), confirmHist: confirm.toJSON(), e2eHist: e2e.toJSON() };
}

const progressTimer = setInterval(() => {
  const s = sums();
  const key = `${s.published}/${s.confirmed}/${s.nacked}/${s.received}`;
  if (key === lastProgress) return;
  lastProgress = key;
  send({ event: 'progress', t: hrtimeNs(), ...s });
}, 250);
progressTimer.unref();

async function handle(m) {
  switch (m.cmd) {
    case 'init': {
      producers = (m.producers ?? []).map((s) => new Producer(s, m.runId));
      consumers = (m.consumers ?? []).map((s) => new Consumer(s, m.runId));
      // consumers first, so they are ready before anything is published
      await Promise.all(consumers.map((c) => c.init()));
      await Promise.all(producers.map((p) => p.init()));
      return { pid: process.pid };
    }
    case 'start':
      for (const p of producers) p.start();
      return { t: hrtimeNs() };
    case 'mark':
      return snapshot(true);
    case 'stop':
      await Promise.all(producers.map((p) => p.stop(m.timeoutMs ?? 30000)));
      return { t: hrtimeNs(), producers: producers.map((p) => p.stats()) };
    case 'report':
      return { t: hrtimeNs(), cpu: process.cpuUsage(), producers: producers.map((p) => p.stats()), consumers: consumers.map((c) => c.stats()), ...snapshot(false) };
    case 'close': {
      await Promise.all([...producers, ...consumers].map((x) => x.close().catch(() => {})));
      return { cpu: process.cpuUsage() };
    }
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
}

process.on('message', (m) => {
  handle(m).then(
    (result) => {
      send({ id: m.id, ok: true, result });
      if (m.cmd === 'close') setTimeout(() => process.exit(0), 20);
    },
    (err) => send({ id: m.id, ok: false, error: errorText(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (err) => {
  send({ event: 'error', who: 'worker', message: `uncaught: ${err.stack ?? err}` });
  setTimeout(() => process.exit(1), 50);
});
