// Scenario kinds: how a kind of scenario is run against one broker, and which figures it reports.
// A scenario (scenarios.mjs) is a kind plus parameters. Each kind's run(sc, ctx) returns
// { figures: { key: number|null }, problems: [string], notes: [string] } or throws (run failed).
//   ctx: { broker, sampler (RssSampler on the broker PID), opts, log(msg) }
import { connect, hrtimeNs } from '../loadgen/amqp.mjs';
import { LoadGen, sleep, validate } from '../loadgen/pool.mjs';
import { Hist } from '../loadgen/hist.mjs';
import { cpuSeconds, startNs } from './procstat.mjs';

const MB = 1024 * 1024;

/** Figure metadata: label, unit, which direction is better, decimals. */
export const FIGURES = {
  pub_rate: { label: 'publish rate (confirmed; sent if no confirms)', unit: 'msg/s', better: 'higher', digits: 0 },
  recv_rate: { label: 'consume rate (all consumers)', unit: 'msg/s', better: 'higher', digits: 0 },
  e2e_p50: { label: 'end-to-end latency p50', unit: 'ms', better: 'lower', digits: 2 },
  e2e_p99: { label: 'end-to-end latency p99', unit: 'ms', better: 'lower', digits: 2 },
  e2e_max: { label: 'end-to-end latency max', unit: 'ms', better: 'lower', digits: 1 },
  confirm_p50: { label: 'confirm latency p50', unit: 'ms', better: 'lower', digits: 2 },
  confirm_p99: { label: 'confirm latency p99', unit: 'ms', better: 'lower', digits: 2 },
  broker_cpu: { label: 'broker CPU', unit: 's', better: 'lower', digits: 2 },
  msgs_per_cpu: { label: 'messages received per broker CPU-second', unit: 'msg/CPU-s', better: 'higher', digits: 0 },
  rss_before: { label: 'broker RSS before', unit: 'MB', better: 'lower', digits: 0 },
  rss_peak: { label: 'broker RSS peak', unit: 'MB', better: 'lower', digits: 0 },
  rss_after: { label: 'broker RSS after', unit: 'MB', better: 'lower', digits: 0 },
  gen_cpu: { label: 'load generator CPU (all processes)', unit: 's', better: 'lower', digits: 2 },
  connections: { label: 'client connections', unit: '', better: 'higher', digits: 0 },
  rss_per_conn: { label: 'broker RSS per connection (connected − before)', unit: 'KB', better: 'lower', digits: 1 },
  rss_per_conn_loaded: { label: 'broker RSS per connection, incl. traffic (end of load − before)', unit: 'KB', better: 'lower', digits: 1 },
  // backlog
  publish_rate: { label: 'publish rate (confirmed, no consumer)', unit: 'msg/s', better: 'higher', digits: 0 },
  publish_s: { label: 'publish time', unit: 's', better: 'lower', digits: 1 },
  publish_cpu: { label: 'broker CPU, publish', unit: 's', better: 'lower', digits: 1 },
  publish_per_cpu: { label: 'messages per broker CPU-second, publish', unit: 'msg/CPU-s', better: 'higher', digits: 0 },
  rss_peak_publish: { label: 'broker RSS peak, publish', unit: 'MB', better: 'lower', digits: 0 },
  rss_after_publish: { label: 'broker RSS after publish', unit: 'MB', better: 'lower', digits: 0 },
  drain_rate: { label: 'drain rate (1 consumer)', unit: 'msg/s', better: 'higher', digits: 0 },
  drain_s: { label: 'drain time', unit: 's', better: 'lower', digits: 1 },
  drain_cpu: { label: 'broker CPU, drain', unit: 's', better: 'lower', digits: 1 },
  drain_per_cpu: { label: 'messages per broker CPU-second, drain', unit: 'msg/CPU-s', better: 'higher', digits: 0 },
  rss_peak_drain: { label: 'broker RSS peak, drain', unit: 'MB', better: 'lower', digits: 0 },
  rss_after_drain: { label: 'broker RSS after drain', unit: 'MB', better: 'lower', digits: 0 },
  // recovery
  fill_rate: { label: 'fill rate', unit: 'msg/s', better: 'higher', digits: 0 },
  stop_s: { label: 'graceful stop time', unit: 's', better: 'lower', digits: 2 },
  launch_s: { label: 'launch → broker process start', unit: 's', better: 'lower', digits: 2 },
  accept_s: { label: 'restart: process start → accepts AMQP', unit: 's', better: 'lower', digits: 2 },
  count_s: { label: 'restart: process start → queue.declare reports N', unit: 's', better: 'lower', digits: 2 },
  deliver_s: { label: 'restart: process start → first delivery', unit: 's', better: 'lower', digits: 2 },
  recovered: { label: 'restart: messages recovered', unit: 'msgs', better: 'higher', digits: 0 },
  rss_recovered: { label: 'broker RSS after restart', unit: 'MB', better: 'lower', digits: 0 },
  k9_accept_s: { label: 'kill -9: process start → accepts AMQP', unit: 's', better: 'lower', digits: 2 },
  k9_count_s: { label: 'kill -9: process start → queue.declare reports N', unit: 's', better: 'lower', digits: 2 },
  k9_deliver_s: { label: 'kill -9: process start → first delivery', unit: 's', better: 'lower', digits: 2 },
  k9_recovered: { label: 'kill -9: confirmed messages recovered', unit: 'msgs', better: 'higher', digits: 0 },
};

// ---------------------------------------------------------------------------------------------
// helpers

export async function withChannel(url, fn, timeoutMs = 30000) {
  const c = await connect(url, { name: 'bench-admin', timeout: timeoutMs });
  try {
    const ch = await c.openChannel();
    return await fn(ch, c);
  } finally {
    await c.close(2000).catch(() => {});
  }
}

async function freshQueues(url, names, { durable = true, args = {} } = {}) {
  await withChannel(url, async (ch) => {
    for (const q of names) {
      await ch.queueDelete(q);
      await ch.queueDeclare(q, { durable, args });
    }
  });
}

/** Declares the scenario's exchange (sc.exchange: { type, bindings(i) → keys }) and binds queue i with bindings(i). */
async function freshExchange(url, name, spec, queues) {
  await withChannel(url, async (ch) => {
    await ch.exchangeDelete(name);
    await ch.exchangeDeclare(name, spec.type);
    for (let i = 0; i < queues.length; i++) {
      for (const key of spec.bindings ? spec.bindings(i) : ['']) await ch.queueBind(queues[i], name, key);
    }
  });
}

async function deleteExchange(url, name) {
  try { await withChannel(url, (ch) => ch.exchangeDelete(name), 10000); } catch { /* best effort */ }
}

async function deleteQueues(url, names) {
  try {
    await withChannel(url, async (ch) => { for (const q of names) await ch.queueDelete(q, 120000); }, 10000);
  } catch { /* best effort */ }
}

async function queueCount(url, q) {
  return withChannel(url, async (ch) => (await ch.queueDeclare(q, { passive: true })).messageCount);
}

function split(items, k) {
  const groups = Array.from({ length: Math.max(1, Math.min(k, items.length)) }, () => []);
  items.forEach((x, i) => groups[i % groups.length].push(x));
  return groups;
}

/** Sleeps ms, checking the broker and the load generator; returns the longest time (ms) without a new confirm. */
async function sleepChecked(ms, ctx, lg) {
  const end = Date.now() + ms;
  let last = lg ? lg.totals().confirmed : 0;
  let lastChange = Date.now();
  let longest = 0;
  while (Date.now() < end) {
    ctx.broker.check();
    const e = lg?.firstError();
    if (e) throw new Error(`load generator: ${e}`);
    await sleep(Math.min(100, end - Date.now()));
    if (lg) {
      const c = lg.totals().confirmed;
      if (c !== last) { last = c; lastChange = Date.now(); }
      longest = Math.max(longest, Date.now() - lastChange);
    }
  }
  return longest;
}

const plural = (k, word) => `${k} ${word}${k === 1 ? '' : 's'}`;
const mb = (b) => (b == null ? null : b / MB);
const rate = (n, ns) => (ns > 0 ? n / (ns / 1e9) : null);

function brokerCpu(ctx) {
  return ctx.broker.pid ? cpuSeconds(ctx.broker.pid) : null;
}

function producerSpecs(sc, url, queues, ids, extra = {}) {
  return ids.map((id, i) => ({
    id, url, queue: queues[i % queues.length], size: sc.size, persistent: sc.persistent !== false,
    window: sc.window ?? 100, rate: sc.rate ?? 0,
    ...(sc.priority ? { priority: sc.priority(id) } : {}),
    ...(sc.exchange ? { exchange: `bench.${sc.name}.x`, keys: sc.keys ?? [''] } : {}),
    ...extra,
  }));
}

function consumerSpecs(sc, url, queues, n, producerCount) {
  const perQueue = Math.ceil(n / queues.length);
  return Array.from({ length: n }, (_, i) => ({
    id: i, url, queue: queues[i % queues.length], size: sc.size, prefetch: sc.prefetch ?? 100, noAck: sc.noAck === true,
    ackEvery: sc.ackEvery ?? Math.max(1, Math.floor((sc.prefetch ?? 100) / 2)),
    contiguous: perQueue === 1 && !sc.exchange?.partial, producerCount,
  }));
}

/** Publishes `total` messages split over sc.producers producers (ids firstId...) and waits for all confirms. */
async function fill(sc, ctx, lg, queue, total, { firstId = 0, what = 'publish' } = {}) {
  const np = Math.max(1, sc.producers ?? 1);
  const ids = Array.from({ length: np }, (_, i) => firstId + i);
  const counts = ids.map((_, i) => Math.floor(total / np) + (i < total % np ? 1 : 0));
  const specs = producerSpecs(sc, ctx.broker.url, [queue], ids).map((s, i) => ({ ...s, count: counts[i] }));
  const workers = await lg.spawn(split(specs, sc.producerProcs ?? 1).map((producers) => ({ producers })));
  const target = lg.doneProducers().length + np;
  const cpu0 = brokerCpu(ctx);
  await lg.all('start', {}, { workers });
  let lastLog = Date.now();
  await lg.waitUntil(() => lg.doneProducers().length >= target, {
    what, timeoutMs: ctx.opts.phaseTimeout * 1000, stallMs: ctx.opts.stallTimeout * 1000,
    progress: () => lg.totals().confirmed,
    check: () => {
      ctx.broker.check();
      if (Date.now() - lastLog > 10000) { lastLog = Date.now(); ctx.log(`${what}: ${lg.totals().confirmed}/${total} confirmed`); }
    },
  });
  const cpu1 = brokerCpu(ctx);
  const reps = await lg.all('report', {}, { workers });
  const producers = reps.flatMap((r) => r.producers);
  const confirmHist = new Hist();
  for (const r of reps) confirmHist.merge(Hist.from(r.confirmHist));
  const firstNs = Math.min(...producers.map((p) => p.firstSendNs));
  const lastNs = Math.max(...producers.map((p) => p.lastConfirmNs));
  await lg.close(workers);
  return { producers, confirmHist, ns: lastNs - firstNs, brokerCpu: cpu1 != null && cpu0 != null ? cpu1 - cpu0 : null };
}

/** Consumes until `expected` messages arrived (one consumer per queue), validates, closes. */
async function drain(sc, ctx, lg, queue, expected, producers, { what = 'drain', allowRedelivered = 0 } = {}) {
  const specs = consumerSpecs(sc, ctx.broker.url, [queue], 1, Math.max(...producers.map((p) => p.id)) + 1);
  const before = lg.totals().received;
  const workers = await lg.spawn([{ consumers: specs }]);
  const cpu0 = brokerCpu(ctx);
  let lastLog = Date.now();
  try {
    await lg.waitUntil(() => lg.totals().received - before >= expected, {
      what, timeoutMs: ctx.opts.phaseTimeout * 1000, stallMs: ctx.opts.stallTimeout * 1000,
      progress: () => lg.totals().received,
      check: () => {
        ctx.broker.check();
        if (Date.now() - lastLog > 10000) { lastLog = Date.now(); ctx.log(`${what}: ${lg.totals().received - before}/${expected} received`); }
      },
    });
  } catch (e) {
    // say what the broker and the consumer think, to tell a broker stall from a client one
    const bits = [];
    try {
      const q = await withChannel(ctx.broker.url, (ch) => ch.queueDeclare(queue, { passive: true, timeoutMs: 5000 }), 5000);
      bits.push(`broker: queue has ${q.messageCount} ready, ${q.consumerCount} consumer(s)`);
    } catch (err) { bits.push(`broker: passive declare failed (${err.message})`); }
    try {
      const [r] = await lg.all('report', {}, { workers, timeoutMs: 5000 });
      const c = r.consumers[0];
      bits.push(`consumer: ${c.received} received, ${c.unacked} not yet acked, last delivery tag ${c.lastTag}${c.error ? `, error ${c.error}` : ''}`);
    } catch (err) { bits.push(`consumer report failed (${err.message})`); }
    throw new Error(`${e.message}; ${bits.join('; ')}`);
  }
  const cpu1 = brokerCpu(ctx);
  await sleep(300); // anything extra (duplicates) would show up now
  const reps = await lg.all('report', {}, { workers });
  const consumers = reps.flatMap((r) => r.consumers);
  const c = consumers[0];
  let problems = validate(producers, consumers, { contiguous: true });
  if (allowRedelivered) problems = problems.filter((p) => !(/messages redelivered$/.test(p) && c.redelivered <= allowRedelivered));
  await lg.close(workers);
  return { consumers, ns: c.lastRecvNs - c.consumeNs, brokerCpu: cpu1 != null && cpu0 != null ? cpu1 - cpu0 : null, problems };
}

// ---------------------------------------------------------------------------------------------
// steady: producers with confirms → queues → consumers, for a fixed time

function describeSteady(sc, o) {
  const pubs = `${plural(sc.producers, 'publisher')}${sc.rate ? ` at ${sc.rate.toLocaleString('en-US')} msg/s each` : ''} ${sc.window ? `with confirms (window ${sc.window} each)` : 'without confirms'}`;
  const via = sc.exchange ? ` → a ${sc.exchange.type} exchange (${sc.exchange.describe ?? 'every queue bound'})` : '';
  const qs = plural(sc.queues, `${sc.durable ?? sc.persistent !== false ? 'durable' : 'non-durable'} queue`);
  const cons = `${plural(sc.consumers, 'consumer')} (${sc.noAck ? 'auto-ack' : `manual ack, prefetch ${sc.prefetch ?? 100}, multiple-ack every ${sc.ackEvery ?? Math.floor((sc.prefetch ?? 100) / 2)}`})`;
  return `${pubs}${via} → ${qs} → ${cons}; ${sc.persistent === false ? 'transient' : 'persistent'} ${sc.size} B messages; load generator in ${sc.producerProcs ?? 1} + ${sc.consumerProcs ?? 1} processes; ${o.warmup} s warm-up, ${o.duration} s measured`;
}

export const steady = {
  figures: ['pub_rate', 'recv_rate', 'e2e_p50', 'e2e_p99', 'e2e_max', 'confirm_p50', 'confirm_p99', 'broker_cpu', 'msgs_per_cpu', 'rss_before', 'rss_peak', 'rss_after', 'connections', 'rss_per_conn', 'rss_per_conn_loaded', 'gen_cpu'],
  describe: describeSteady,
  async run(sc, ctx) {
    const { broker, sampler, opts } = ctx;
    const url = broker.url;
    const queues = Array.from({ length: sc.queues }, (_, i) => `bench.${sc.name}.${i}`);
    const exchange = `bench.${sc.name}.x`;
    const copies = sc.exchange ? (sc.exchange.copies ?? queues.length) : 1;
    const problems = [];
    const notes = [];
    await freshQueues(url, queues, { durable: sc.durable ?? sc.persistent !== false, args: sc.queueArgs ?? {} });
    if (sc.exchange) await freshExchange(url, exchange, sc.exchange, queues);
    const rssBefore = sampler.current();
    const lg = new LoadGen();
    try {
      const pSpecs = producerSpecs(sc, url, queues, Array.from({ length: sc.producers }, (_, i) => i));
      const cSpecs = consumerSpecs(sc, url, queues, sc.consumers, sc.producers);
      await lg.spawn(split(cSpecs, sc.consumerProcs ?? 1).map((consumers) => ({ consumers })));
      const pw = await lg.spawn(split(pSpecs, sc.producerProcs ?? 1).map((producers) => ({ producers })));
      if (sc.perConnection) await sleep(Number(process.env.BENCH_SETTLE_MS ?? 1000)); // let the broker settle before measuring what the connections cost
      const rssConnected = sampler.current();
      sampler.resetPeak();
      await lg.all('start', {}, { workers: pw });
      await sleepChecked(opts.warmup * 1000, ctx, lg);
      const m0 = await lg.mark();
      const c0 = brokerCpu(ctx);
      const stallMs = await sleepChecked(opts.duration * 1000, ctx, lg);
      const m1 = await lg.mark();
      const rssLoaded = sampler.current();
      if (stallMs >= 1000 && sc.window) problems.push(`no publisher confirm for ${(stallMs / 1000).toFixed(1)} s during the measured window`);
      const c1 = brokerCpu(ctx);
      const dt = m1.t - m0.t;
      // stop publishing, let every confirm arrive, let the consumers catch up
      const stopped = await lg.all('stop', { timeoutMs: 30000 }, { workers: pw, timeoutMs: 40000 });
      const producers = stopped.flatMap((s) => s.producers);
      const published = producers.reduce((a, p) => a + p.published, 0);
      const outstanding = producers.reduce((a, p) => a + p.outstanding, 0);
      if (outstanding) problems.push(`${outstanding} messages still unconfirmed 30 s after publishing stopped`);
      await lg.waitUntil(() => lg.totals().received >= (published - outstanding) * copies, {
        what: 'consumers catching up', timeoutMs: opts.phaseTimeout * 1000, stallMs: opts.stallTimeout * 1000,
        progress: () => lg.totals().received, check: () => broker.check(),
      }).catch((e) => problems.push(e.message));
      await sleep(300);
      const reps = await lg.all('report');
      const consumers = reps.flatMap((r) => r.consumers);
      problems.push(...validate(producers, consumers, { contiguous: consumers.every((c) => c.contiguous !== false), copies }));
      const rssPeak = sampler.peak;
      await lg.close();
      const genCpu = (m1.cpuUs - m0.cpuUs) / 1e6;
      await sleep(1000);
      const rssAfter = sampler.current();
      const confirmed = m1.confirmed - m0.confirmed;
      const received = m1.received - m0.received;
      const nconn = sc.producers + sc.consumers;
      const bcpu = c1 != null && c0 != null ? c1 - c0 : null;
      const blocked = producers.reduce((a, p) => a + (p.blockedMs || 0), 0);
      if (blocked > 0) notes.push(`publishers were blocked (connection.blocked) for ${Math.round(blocked)} ms in total`);
      if (process.env.BENCH_DEBUG_HIST) notes.push(`e2e quantiles (ms): ${[0.5, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999].map((q) => `${q}: ${m1.e2eHist.quantileMs(q)}`).join(', ')}`);
      notes.push(`load generator: ${lg.workers.length} processes, ${(lg.totalCpuUs() / 1e6).toFixed(1)} CPU-s in total; window ${(dt / 1e9).toFixed(2)} s, ${confirmed} ${sc.window ? 'confirmed' : 'sent'}, ${received} received`);
      return {
        figures: {
          pub_rate: rate(confirmed, dt),
          recv_rate: rate(m1.received - m0.received, dt),
          e2e_p50: m1.e2eHist.quantileMs(0.5), e2e_p99: m1.e2eHist.quantileMs(0.99), e2e_max: m1.e2eHist.maxMs(),
          confirm_p50: m1.confirmHist.quantileMs(0.5), confirm_p99: m1.confirmHist.quantileMs(0.99),
          broker_cpu: bcpu, msgs_per_cpu: bcpu ? received / bcpu : null,
          rss_before: mb(rssBefore), rss_peak: mb(rssPeak), rss_after: mb(rssAfter),
          connections: sc.perConnection ? nconn : null,
          rss_per_conn: sc.perConnection && rssConnected != null && rssBefore != null ? (rssConnected - rssBefore) / nconn / 1024 : null,
          rss_per_conn_loaded: sc.perConnection && rssLoaded != null && rssBefore != null ? (rssLoaded - rssBefore) / nconn / 1024 : null,
          gen_cpu: genCpu,
        },
        problems, notes,
      };
    } finally {
      lg.kill();
      if (!broker.exit) {
        await deleteQueues(url, queues);
        if (sc.exchange) await deleteExchange(url, exchange);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// backlog: publish N with no consumer, then drain with one consumer

export const backlog = {
  figures: ['publish_rate', 'publish_s', 'confirm_p50', 'confirm_p99', 'publish_cpu', 'publish_per_cpu', 'rss_before', 'rss_peak_publish', 'rss_after_publish',
    'drain_rate', 'drain_s', 'drain_cpu', 'drain_per_cpu', 'rss_peak_drain', 'rss_after_drain', 'gen_cpu'],
  describe: (sc, o) => `${sc.count(o).toLocaleString('en-US')} × ${sc.size} B ${sc.persistent === false ? 'transient' : 'persistent'} messages with confirms (${plural(sc.producers ?? 1, 'publisher')}, window ${sc.window ?? 100} each) into one durable queue with no consumer; then drained by one consumer (prefetch ${sc.prefetch ?? 100})`,
  async run(sc, ctx) {
    const { broker, sampler, opts } = ctx;
    const url = broker.url;
    const n = sc.count(opts);
    const queue = `bench.${sc.name}`;
    const problems = [];
    const notes = [];
    await freshQueues(url, [queue]);
    const rssBefore = sampler.current();
    const lg = new LoadGen();
    try {
      sampler.resetPeak();
      const f = await fill(sc, ctx, lg, queue, n, { what: 'backlog publish' });
      const rssPeakPublish = sampler.peak;
      await sleep(1000);
      const rssAfterPublish = sampler.current();
      const inQueue = await queueCount(url, queue);
      if (inQueue !== n) problems.push(`queue holds ${inQueue} messages after publishing ${n}`);
      sampler.resetPeak();
      const d = await drain(sc, ctx, lg, queue, f.producers.reduce((a, p) => a + p.confirmed, 0), f.producers, { what: 'backlog drain' });
      problems.push(...d.problems);
      const rssPeakDrain = sampler.peak;
      await sleep(1000);
      const rssAfterDrain = sampler.current();
      notes.push(`load generator: ${lg.workers.length} processes`);
      return {
        figures: {
          publish_rate: rate(n, f.ns), publish_s: f.ns / 1e9,
          confirm_p50: f.confirmHist.quantileMs(0.5), confirm_p99: f.confirmHist.quantileMs(0.99),
          publish_cpu: f.brokerCpu, publish_per_cpu: f.brokerCpu ? n / f.brokerCpu : null,
          rss_before: mb(rssBefore), rss_peak_publish: mb(rssPeakPublish), rss_after_publish: mb(rssAfterPublish),
          drain_rate: rate(n, d.ns), drain_s: d.ns / 1e9, drain_cpu: d.brokerCpu, drain_per_cpu: d.brokerCpu ? n / d.brokerCpu : null,
          rss_peak_drain: mb(rssPeakDrain), rss_after_drain: mb(rssAfterDrain),
          gen_cpu: lg.totalCpuUs() / 1e6,
        },
        problems, notes,
      };
    } finally {
      lg.kill();
      if (!broker.exit) await deleteQueues(url, [queue]);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// recovery: a backlog of N, restart, time until the queue is back and delivers

/**
 * Probes a (re)starting broker from launchNs on: one loop connects and passively declares the
 * queue every 50 ms until it reports `expected` messages; another consumes (prefetch 1) until the
 * first delivery. Gives up when the broker accepted connections but the queue stayed missing or
 * its count stayed unchanged for giveUpMs.
 */
async function probeRecovery(url, queue, expected, { timeoutMs, giveUpMs, check }) {
  const st = { acceptNs: 0, countNs: 0, deliverNs: 0, lastCount: null, lastErr: null, held: false, done: false, failed: null };
  const deadline = Date.now() + timeoutMs;
  let lastChange = 0;
  let lastSeen;
  const conns = [];
  const connectRetry = async () => {
    while (!st.done && Date.now() < deadline) {
      try {
        const c = await connect(url, { name: 'bench-recovery-probe', timeout: 5000 });
        conns.push(c);
        if (!st.acceptNs) st.acceptNs = hrtimeNs();
        if (!lastChange) lastChange = Date.now();
        return c;
      } catch (e) {
        st.lastErr = e.message;
        await sleep(50);
      }
    }
    return null;
  };
  const countLoop = async () => {
    let c = null;
    while (!st.done && Date.now() < deadline) {
      if (!c || c.closed) { c = await connectRetry(); if (!c) break; }
      try {
        const ch = await c.openChannel();
        const r = await ch.queueDeclare(queue, { passive: true, timeoutMs: 10000 });
        ch.close().catch(() => {});
        st.lastCount = r.messageCount;
        if (r.messageCount >= expected || (st.held && r.messageCount >= expected - 1)) { st.countNs = hrtimeNs(); return; }
      } catch (e) {
        st.lastErr = e.message;
        if (e.code === 404) st.lastCount = 0;
      }
      const seen = `${st.lastCount}|${st.lastErr}`;
      if (seen !== lastSeen) { lastSeen = seen; lastChange = Date.now(); }
      else if (lastChange && Date.now() - lastChange > giveUpMs) {
        st.failed = st.lastCount ? `queue holds ${st.lastCount} of ${expected} messages after restart` : `queue not recovered after restart (${st.lastErr})`;
        return;
      }
      await sleep(50);
    }
  };
  const deliverLoop = async () => {
    let c = null;
    while (!st.done && Date.now() < deadline) {
      if (!c || c.closed) { c = await connectRetry(); if (!c) break; c.stampChunks = true; }
      try {
        const ch = await c.openChannel();
        await ch.qos(1);
        const got = new Promise((resolve) => {
          ch.onDeliver = () => { if (!st.deliverNs) { st.deliverNs = c.recvNs || hrtimeNs(); st.held = true; } resolve(true); };
          ch.onError = () => resolve(false);
        });
        await ch.consume(queue);
        // wait for the delivery; the count loop decides when to give up
        while (!st.deliverNs && !st.done && !st.failed && !ch.closed && Date.now() < deadline) await Promise.race([got, sleep(100)]);
        if (st.deliverNs) return;
      } catch (e) {
        if (e.code !== 404) st.lastErr = e.message;
      }
      if (st.failed) return;
      await sleep(50);
    }
  };
  const watchdog = (async () => {
    while (!st.done) {
      try { check(); } catch (e) { st.failed = e.message; st.done = true; }
      await sleep(100);
    }
  })();
  const cl = countLoop();
  const dl = deliverLoop();
  await cl;
  if (!st.failed) {
    let timer;
    await Promise.race([dl, new Promise((r) => { timer = setTimeout(r, Math.max(0, deadline - Date.now())); })]);
    clearTimeout(timer);
  }
  if (!st.countNs && !st.failed) st.failed = `queue did not report ${expected} messages within ${timeoutMs / 1000} s (last: ${st.lastCount}, ${st.lastErr})`;
  st.done = true;
  await watchdog;
  for (const c of conns) await c.close(2000).catch(() => {}); // the held delivery goes back to the queue
  return st;
}

async function restartAndProbe(ctx, queue, expected, how) {
  const { broker, opts } = ctx;
  let stopMs = null;
  if (how === 'kill9') await broker.kill9();
  else ({ stopMs } = await broker.stopGraceful());
  const h = broker.launch();
  let readyErr = null;
  h.ready.catch((e) => { readyErr = e; });
  const st = await probeRecovery(broker.url, queue, expected, {
    timeoutMs: opts.recoveryTimeout * 1000, giveUpMs: opts.recoveryGiveUp * 1000,
    check: () => { if (readyErr) throw readyErr; broker.check(); },
  });
  await h.ready; // throws if the broker did not come up
  const pid = broker.pid;
  ctx.sampler.attach(pid);
  const pStart = startNs(pid);
  const since = (ns) => (ns && pStart ? Math.max(0, (ns - pStart) / 1e9) : null);
  await sleep(500);
  return {
    stopMs, launch_s: pStart ? Math.max(0, (pStart - h.launchNs) / 1e9) : null,
    accept_s: since(st.acceptNs), count_s: st.countNs ? since(st.countNs) : null, deliver_s: st.deliverNs ? since(st.deliverNs) : null,
    recovered: st.countNs ? expected : (st.lastCount ?? 0), failed: st.failed, rss: ctx.sampler.current(),
  };
}

export const recovery = {
  figures: ['fill_rate', 'stop_s', 'launch_s', 'accept_s', 'count_s', 'deliver_s', 'recovered', 'rss_recovered', 'k9_accept_s', 'k9_count_s', 'k9_deliver_s', 'k9_recovered'],
  describe: (sc, o) => `a backlog of ${sc.count(o).toLocaleString('en-US')} × ${sc.size} B persistent messages in one durable queue; graceful stop, start, and time from the broker's OS process start until it accepts AMQP, until a passive queue.declare reports N and until a consumer gets the first message; Warren also after kill -9 (right after ${sc.extra ?? 1000} more confirmed publishes); then everything is drained and checked`,
  async run(sc, ctx) {
    const { broker, sampler } = ctx;
    const n = sc.count(ctx.opts);
    const extra = sc.extra ?? 1000;
    const queue = `bench.${sc.name}`;
    const problems = [];
    const notes = [];
    const figures = {};
    const lg = new LoadGen();
    try {
      await freshQueues(broker.url, [queue]);
      let f = await fill(sc, ctx, lg, queue, n, { what: 'recovery fill' });
      figures.fill_rate = rate(n, f.ns);
      const inQueue = await queueCount(broker.url, queue);
      if (inQueue !== n) problems.push(`queue holds ${inQueue} messages after publishing ${n}`);
      ctx.log('graceful restart');
      const g = await restartAndProbe(ctx, queue, n, 'graceful');
      Object.assign(figures, { stop_s: g.stopMs / 1000, launch_s: g.launch_s, accept_s: g.accept_s, count_s: g.count_s, deliver_s: g.deliver_s, recovered: g.recovered, rss_recovered: mb(g.rss) });
      if (g.failed) problems.push(`graceful restart: ${g.failed}`);
      let producers = f.producers;
      if (sc.kill9 !== false && broker.supportsKill9) {
        // make sure the queue holds exactly N, then N+extra confirmed right before kill -9
        let count = null;
        try { count = await queueCount(broker.url, queue); } catch { /* missing */ }
        if (count !== n) {
          notes.push(`refilled ${n} messages before kill -9 (the queue held ${count ?? 'nothing'} after the graceful restart)`);
          await freshQueues(broker.url, [queue]);
          f = await fill(sc, ctx, lg, queue, n, { what: 'recovery refill' });
          producers = f.producers;
        }
        const x = await fill({ ...sc, producers: 1 }, ctx, lg, queue, extra, { firstId: producers.length, what: 'pre-kill publish' });
        producers = [...producers, ...x.producers];
        ctx.log('kill -9 restart');
        const k = await restartAndProbe(ctx, queue, n + extra, 'kill9');
        Object.assign(figures, { k9_accept_s: k.accept_s, k9_count_s: k.count_s, k9_deliver_s: k.deliver_s, k9_recovered: k.recovered });
        if (k.failed) problems.push(`kill -9: ${k.failed}`);
      }
      // drain and check what came back
      let count = null;
      try { count = await queueCount(broker.url, queue); } catch { /* missing */ }
      const expected = producers.reduce((a, p) => a + p.confirmed, 0);
      if (count === expected) {
        const d = await drain(sc, ctx, lg, queue, expected, producers, { what: 'recovery drain', allowRedelivered: 2 });
        problems.push(...d.problems.map((p) => `after restart: ${p}`));
      } else {
        notes.push(`not drained: the queue holds ${count ?? 'nothing (missing)'} of ${expected} confirmed messages`);
      }
      return { figures, problems, notes };
    } finally {
      lg.kill();
      if (!broker.exit) await deleteQueues(broker.url, [queue]);
    }
  },
};

export const KINDS = { steady, backlog, recovery };
