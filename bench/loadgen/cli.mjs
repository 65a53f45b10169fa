#!/usr/bin/env node
// Standalone load generator against any running broker (no broker management):
//   node bench/loadgen/cli.mjs --url amqp://guest:guest@127.0.0.1:5682/%2F \
//        [--kind steady|backlog] [--producers 1] [--consumers 1] [--queues 1] [--procs 1,1]
//        [--size 1024] [--window 100] [--prefetch 100] [--ack-every 50] [--rate 0] [--transient]
//        [--duration 10] [--warmup 2] [--count 100000] [--pid BROKER_PID]
//   node bench/loadgen/cli.mjs --scenario S6 [--url ...] [--duration 10] [--pid BROKER_PID]
//        (a scenario from bench/scenarios.mjs as it is; the shape flags are ignored)
// Prints the figures as JSON. With --pid, broker CPU and RSS are measured too.
import { parseArgs } from 'node:util';
import { KINDS } from '../lib/kinds.mjs';
import { RssSampler, alive } from '../lib/procstat.mjs';
import { byName } from '../scenarios.mjs';

const { values: v } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/%2F' },
    kind: { type: 'string', default: 'steady' },
    producers: { type: 'string', default: '1' },
    consumers: { type: 'string', default: '1' },
    queues: { type: 'string', default: '1' },
    procs: { type: 'string', default: '1,1' },
    size: { type: 'string', default: '1024' },
    window: { type: 'string', default: '100' },
    prefetch: { type: 'string', default: '100' },
    'ack-every': { type: 'string' },
    rate: { type: 'string', default: '0' },
    transient: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    count: { type: 'string', default: '100000' },
    pid: { type: 'string' },
    scenario: { type: 'string' },
  },
});

const [pp, cp] = v.procs.split(',').map(Number);
const named = v.scenario ? byName.get(v.scenario.toUpperCase()) : null;
if (v.scenario && !named) { process.stderr.write(`unknown scenario ${v.scenario}\n`); process.exit(64); }
const sc = named ?? {
  name: 'cli', kind: v.kind, producers: Number(v.producers), consumers: Number(v.consumers), queues: Number(v.queues),
  producerProcs: pp, consumerProcs: cp ?? pp, size: Number(v.size), window: Number(v.window), prefetch: Number(v.prefetch),
  ackEvery: v['ack-every'] ? Number(v['ack-every']) : undefined, rate: Number(v.rate), persistent: !v.transient,
  count: () => Number(v.count),
};
if (named && v.count) sc.count = () => Number(v.count);
const pid = v.pid ? Number(v.pid) : null;
const broker = {
  url: v.url, pid,
  check() { if (pid && !alive(pid)) throw new Error(`broker pid ${pid} is gone`); },
};
const sampler = new RssSampler(pid);
const ctx = {
  broker, sampler, log: (m) => process.stderr.write(`${m}\n`),
  opts: { duration: Number(v.duration), warmup: Number(v.warmup), phaseTimeout: 600, stallTimeout: 30, recoveryTimeout: 120, recoveryGiveUp: 10 },
};
try {
  const r = await KINDS[sc.kind].run(sc, ctx);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exitCode = r.problems.length ? 1 : 0;
} catch (e) {
  process.stderr.write(`failed: ${e.stack ?? e}\n`);
  process.exitCode = 2;
} finally {
  sampler.stop();
}
