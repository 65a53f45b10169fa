// Parent side of the load generator: forks worker processes (worker.mjs), each running a group of
// producers and/or consumers, and drives them with request/reply commands over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hist } from './hist.mjs';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function hrtimeNs() {
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

class WorkerProc {
  constructor(name, group) {
    this.name = name;
    this.group = group;
    this.nextId = 1;
    this.pending = new Map();
    this.progress = { published: 0, confirmed: 0, nacked: 0, received: 0, t: 0 };
    this.doneProducers = new Map();
    this.exited = null;
    this.cpuAtClose = null;
    // LOADGEN_WORKER_ARGS: extra node options for the workers, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
    const execArgv = process.env.LOADGEN_WORKER_ARGS ? process.env.LOADGEN_WORKER_ARGS.split(' ').filter(Boolean) : [];
    this.proc = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    this.pid = this.proc.pid;
  }
}

export class LoadGen {
  /** onEvent(workerName, msg) is told about progress / error / done events (optional). */
  constructor({ onEvent } = {}) {
    this.workers = [];
    this.errors = [];
    this.onEvent = onEvent ?? null;
    this.runId = (Math.random() * 0xffffffff) >>> 0;
  }

  /** Forks one worker per group ({ producers: [spec], consumers: [spec] }) and initialises them. */
  async spawn(groups, { timeoutMs = 30000 } = {}) {
    const fresh = groups.map((g, i) => {
      const w = new WorkerProc(`w${this.workers.length + i}`, g);
      w.proc.on('message', (m) => this.onMessage(w, m));
      w.proc.on('exit', (code, signal) => {
        w.exited = { code, signal };
        for (const [, p] of w.pending) p.reject(new Error(`load-generator worker ${w.name} exited (code ${code}, signal ${signal})`));
        w.pending.clear();
        if (!w.closing) this.errors.push({ who: w.name, message: `worker exited unexpectedly (code ${code}, signal ${signal})` });
      });
      return w;
    });
    this.workers.push(...fresh);
    await Promise.all(fresh.map((w) => this.request(w, { cmd: 'init', runId: this.runId, producers: w.group.producers ?? [], consumers: w.group.consumers ?? [] }, timeoutMs)));
    return fresh;
  }

  onMessage(w, m) {
    if (m.id !== undefined) {
      const p = w.pending.get(m.id);
      if (!p) return;
      w.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${w.name}: ${m.error}`));
      return;
    }
    if (m.event === 'progress') w.progress = m;
    else if (m.event === 'error') this.errors.push({ who: `${w.name}/${m.who}`, message: m.message });
    else if (m.event === 'done') w.doneProducers.set(m.producer, m);
    if (this.onEvent) this.onEvent(w.name, m);
  }

  request(w, msg, timeoutMs = 30000) {
    if (w.exited) return Promise.reject(new Error(`worker ${w.name} has exited`));
    const id = w.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        w.pending.delete(id);
        reject(new Error(`load-generator worker ${w.name}: '${msg.cmd}' timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      w.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      w.proc.send({ id, ...msg });
    });
  }

  /** Sends a command to the given workers (default: all live ones) and returns their replies. */
  all(cmd, extra = {}, { workers, timeoutMs = 30000 } = {}) {
    const ws = (workers ?? this.workers).filter((w) => !w.exited);
    return Promise.all(ws.map((w) => this.request(w, { cmd, ...extra }, timeoutMs)));
  }

  totals() {
    const t = { published: 0, confirmed: 0, nacked: 0, received: 0 };
    for (const w of this.workers) {
      t.published += w.progress.published;
      t.confirmed += w.progress.confirmed;
      t.nacked += w.progress.nacked;
      t.received += w.progress.received;
    }
    return t;
  }

  doneProducers() {
    const out = [];
    for (const w of this.workers) out.push(...w.doneProducers.values());
    return out;
  }

  /** Takes a mark on the given workers and merges: sums, CPU (µs, user+system), histograms. */
  async mark(workers) {
    const snaps = await this.all('mark', {}, { workers });
    return mergeSnaps(snaps);
  }

  /** Closes the given workers' connections and lets them exit; returns their total CPU µs. */
  async close(workers, timeoutMs = 10000) {
    const ws = (workers ?? this.workers).filter((w) => !w.exited);
    let cpu = 0;
    await Promise.all(ws.map(async (w) => {
      w.closing = true;
      try {
        const r = await this.request(w, { cmd: 'close' }, timeoutMs);
        w.cpuAtClose = r.cpu;
        cpu += r.cpu.user + r.cpu.system;
      } catch {
        w.proc.kill('SIGKILL');
      }
    }));
    return cpu;
  }

  kill() {
    for (const w of this.workers) {
      w.closing = true;
      if (!w.exited) w.proc.kill('SIGKILL');
    }
  }

  /** Total CPU µs of all workers that reported it at close. */
  totalCpuUs() {
    let s = 0;
    for (const w of this.workers) if (w.cpuAtClose) s += w.cpuAtClose.user + w.cpuAtClose.system;
    return s;
  }

  firstError() {
    return this.errors.length ? `${this.errors[0].who}: ${this.errors[0].message}` : null;
  }

  /**
   * Polls pred() every 50 ms until it returns true. Throws on timeout, when the load generator
   * reports an error, when check() throws (e.g. the broker died), or when progress() (a number)
   * has not changed for stallMs.
   */
  async waitUntil(pred, { timeoutMs, stallMs = 0, progress, check, what }) {
    const start = Date.now();
    let lastVal = progress ? progress() : 0;
    let lastChange = start;
    for (;;) {
      if (pred()) return;
      const err = this.firstError();
      if (err) throw new Error(`${what}: load generator error: ${err}`);
      if (check) check();
      const now = Date.now();
      if (progress) {
        const v = progress();
        if (v !== lastVal) { lastVal = v; lastChange = now; }
        else if (stallMs > 0 && now - lastChange > stallMs) throw new Error(`${what}: stalled, no progress for ${Math.round(stallMs / 1000)} s (at ${v})`);
      }
      if (now - start > timeoutMs) throw new Error(`${what}: timed out after ${Math.round(timeoutMs / 1000)} s`);
      await sleep(50);
    }
  }
}

export function mergeSnaps(snaps) {
  const out = { t: 0, cpuUs: 0, published: 0, confirmed: 0, nacked: 0, received: 0, confirmHist: new Hist(), e2eHist: new Hist() };
  for (const s of snaps) {
    out.t = Math.max(out.t, s.t);
    out.cpuUs += s.cpu.user + s.cpu.system;
    out.published += s.published;
    out.confirmed += s.confirmed;
    out.nacked += s.nacked;
    out.received += s.received;
    out.confirmHist.merge(Hist.from(s.confirmHist));
    out.e2eHist.merge(Hist.from(s.e2eHist));
  }
  return out;
}

/**
 * Checks the consumers' reports against what the producers published: every confirmed message
 * received exactly once, in order per producer, with the right size. Returns a list of problems.
 *   producers: [{ id, published, confirmed, nacked }]   consumers: [stats from worker 'report']
 *   base: optional { [producerId]: n } messages already in the queue from earlier publishers with those ids
 */
/** copies: how many queues each message is routed to (fanout / topic scenarios), so how often each is received. */
export function validate(producers, consumers, { contiguous = true, expectAll = true, copies = 1 } = {}) {
  const problems = [];
  const received = new Map();
  let reordered = 0, gaps = 0, badSize = 0, badMagic = 0, foreign = 0, badPattern = 0, badProducer = 0, redelivered = 0;
  for (const c of consumers) {
    c.perProducer.forEach((n, pid) => { if (n) received.set(pid, (received.get(pid) ?? 0) + n); });
    reordered += c.reordered; gaps += c.gaps; badSize += c.badSize; badMagic += c.badMagic; foreign += c.foreign;
    badPattern += c.badPattern; badProducer += c.badProducer; redelivered += c.redelivered;
    if (c.error) problems.push(`consumer ${c.id}: ${c.error}`);
  }
  for (const p of producers) {
    const got = (received.get(p.id) ?? 0) / copies;
    if (got < p.confirmed) problems.push(`producer ${p.id}: ${p.confirmed - got} confirmed messages not received (${got} of ${p.confirmed})`);
    if (got > p.published) problems.push(`producer ${p.id}: received ${got} but only ${p.published} published (duplicates)`);
    if (expectAll && got < p.published && got >= p.confirmed && p.published > p.confirmed) {
      // unconfirmed (nacked or still outstanding) messages that did not arrive: allowed, noted
      problems.push(`producer ${p.id}: ${p.published - got} unconfirmed messages not received`);
    }
    if (p.nacked) problems.push(`producer ${p.id}: ${p.nacked} messages nacked by the broker`);
    if (p.error) problems.push(`producer ${p.id}: ${p.error}`);
  }
  if (reordered) problems.push(`${reordered} messages out of order or duplicated`);
  if (contiguous && gaps) problems.push(`${gaps} sequence numbers skipped (lost messages)`);
  if (badSize) problems.push(`${badSize} messages with a wrong body size`);
  if (badPattern) problems.push(`${badPattern} messages with a corrupted body`);
  if (badMagic) problems.push(`${badMagic} messages not from the load generator`);
  if (foreign) problems.push(`${foreign} messages from an earlier run`);
  if (badProducer) problems.push(`${badProducer} messages with an unknown producer id`);
  if (redelivered) problems.push(`${redelivered} messages redelivered`);
  return problems;
}
