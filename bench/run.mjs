#!/usr/bin/env node
// Storage benchmarks: Warren vs a reference RabbitMQ 3.10 on the same machine, interleaved.
//
//   node bench/run.mjs [--quick] [--scenarios S1,...,S9,RECOVERY] [--rounds 3] [--duration 10]
//                      [--warmup 2] [--brokers warren,rabbitmq] [--backlog 1000000]
//                      [--recovery-backlog 100000] [--no-build] [--docs | --no-docs]
//
// For every round, every scenario runs against every broker in turn (A B A B ...). Warren is
// started from bin/warren on a fresh temporary --data-dir for each run (port 0, read back from its
// log); RabbitMQ is the reference instance of ../shared/tools/reference-rabbitmq.sh (started if
// needed; the benchmark's queues are deleted before and after each run).
// Output: a table on stdout, bench/results/<timestamp>.md and .json, and (full runs, or --docs)
// the section between the bench:results markers in docs/performance.md.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, basename } from 'node:path';
import { readFileSync, mkdirSync, cpSync, rmSync } from 'node:fs';
import { SCENARIOS, byName } from './scenarios.mjs';
import { KINDS } from './lib/kinds.mjs';
import { WarrenBroker, RabbitBroker } from './lib/brokers.mjs';
import { RssSampler, machineInfo, cpuSeconds, systemBusySeconds, selfTreeCpuSeconds } from './lib/procstat.mjs';
import { summarise, textTable, markdownTables, metaMarkdown, targetsMarkdown, DURABILITY_NOTE, writeResults, updateDocs } from './lib/report.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const SCRIPT = process.env.REFERENCE_RABBITMQ ?? join(ROOT, '..', 'shared', 'tools', 'reference-rabbitmq.sh');

const USAGE = `usage: bench/run.sh [--quick] [--scenarios ${SCENARIOS.map((s) => s.name).join(',')}] [--rounds N] [--duration S] [--warmup S]
                    [--brokers warren,rabbitmq] [--backlog N] [--recovery-backlog N] [--no-build] [--docs|--no-docs]
                    [--phase-timeout S] [--stall-timeout S] [--recovery-timeout S] [--wait-quiet S]
       bench/run.sh --render bench/results/<timestamp>.json [--no-docs]   (re-render a saved run)`;

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        scenarios: { type: 'string' },
        rounds: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        brokers: { type: 'string', default: 'warren,rabbitmq' },
        backlog: { type: 'string' },
        'recovery-backlog': { type: 'string' },
        build: { type: 'boolean', default: true },
        'no-build': { type: 'boolean', default: false },
        docs: { type: 'boolean' },
        'no-docs': { type: 'boolean', default: false },
        'phase-timeout': { type: 'string', default: '600' },
        'stall-timeout': { type: 'string', default: '30' },
        'recovery-timeout': { type: 'string', default: '180' },
        'recovery-give-up': { type: 'string', default: '10' },
        'wait-quiet': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); process.exit(0); }
  const q = values.quick;
  const num = (v, d, what) => {
    if (v === undefined) return d;
    const n = Number(String(v).replace(/_/g, ''));
    if (!Number.isFinite(n) || n < 0) { process.stderr.write(`invalid --${what} '${v}'\n`); process.exit(2); }
    return n;
  };
  const backlog = num(values.backlog, q ? 100000 : 1000000, 'backlog');
  const opts = {
    quick: q,
    rounds: num(values.rounds, q ? 1 : 3, 'rounds'),
    duration: num(values.duration, q ? 5 : 10, 'duration'),
    warmup: num(values.warmup, q ? 1 : 2, 'warmup'),
    backlog,
    recoveryBacklog: num(values['recovery-backlog'], q ? Math.min(backlog, 50000) : Math.min(backlog, 100000), 'recovery-backlog'),
    build: values.build && !values['no-build'],
    docs: values.docs ?? (!q && !values['no-docs']),
    phaseTimeout: num(values['phase-timeout'], 600, 'phase-timeout'),
    stallTimeout: num(values['stall-timeout'], 30, 'stall-timeout'),
    recoveryTimeout: num(values['recovery-timeout'], 180, 'recovery-timeout'),
    recoveryGiveUp: num(values['recovery-give-up'], 10, 'recovery-give-up'),
    waitQuiet: num(values['wait-quiet'], 0, 'wait-quiet'),
  };
  if (values['no-docs']) opts.docs = false;
  const names = values.scenarios ? values.scenarios.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : SCENARIOS.map((s) => s.name);
  const scenarios = names.map((n) => {
    const s = byName.get(n);
    if (!s) { process.stderr.write(`unknown scenario '${n}' (have: ${SCENARIOS.map((x) => x.name).join(', ')})\n`); process.exit(2); }
    return s;
  });
  const brokerNames = values.brokers.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const b of brokerNames) if (b !== 'warren' && b !== 'rabbitmq') { process.stderr.write(`unknown broker '${b}'\n`); process.exit(2); }
  return { opts, scenarios, brokerNames };
}

const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
const log = (m) => process.stderr.write(`${stamp()} ${m}\n`);

function git(args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function main() {
  const { opts, scenarios, brokerNames } = parse();
  const startedAt = new Date();
  const ts = startedAt.toISOString().replace(/[:]/g, '').replace(/\..*/, '');
  const resultsDir = join(BENCH, 'results');
  const logDir = join(resultsDir, `${ts}-logs`);

  const brokers = [];
  let buildError = null;
  let snapshot = null;
  if (brokerNames.includes('warren')) {
    const w = new WarrenBroker({ root: ROOT, logDir });
    if (opts.build) {
      log('npm run build');
      const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) {
        buildError = `npm run build failed: ${`${r.stdout}\n${r.stderr}`.trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ') || `exit ${r.status}`}`;
        log(buildError);
      }
    }
    if (!buildError) {
      // Run Warren from a copy of this build, so that a rebuild of dist/ by someone else during the
      // benchmark cannot change the code under test between rounds.
      try {
        snapshot = join(BENCH, `.snapshot-${ts}`);
        mkdirSync(join(snapshot, 'bin'), { recursive: true });
        cpSync(join(ROOT, 'dist'), join(snapshot, 'dist'), { recursive: true });
        cpSync(join(ROOT, 'bin', 'warren'), join(snapshot, 'bin', 'warren'));
        cpSync(join(ROOT, 'package.json'), join(snapshot, 'package.json'));
        w.root = snapshot;
        w.bin = join(snapshot, 'bin', 'warren');
      } catch (e) {
        log(`cannot snapshot dist/ (${e.message}); running Warren from dist/ directly`);
        snapshot = null;
      }
    }
    brokers.push(w);
  }
  let rabbit = null;
  if (brokerNames.includes('rabbitmq')) {
    rabbit = new RabbitBroker({ script: SCRIPT });
    log('RabbitMQ: checking / starting the reference instance');
    try {
      await rabbit.init();
      log(`RabbitMQ ${rabbit.version}, beam pid ${rabbit.pid}, ${rabbit.url}`);
    } catch (e) {
      rabbit.initError = e.message;
      log(`RabbitMQ unavailable: ${e.message}`);
    }
    brokers.push(rabbit);
  }
  // always Warren first, so the ratio column is Warren ÷ RabbitMQ
  brokers.sort((a, b) => (a.name === 'warren' ? -1 : 1) - (b.name === 'warren' ? -1 : 1));

  const cleanup = () => {
    for (const b of brokers) b.shutdown?.();
    if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { log('interrupted'); cleanup(); process.exit(130); });
  process.on('SIGTERM', () => { cleanup(); process.exit(143); });
  process.on('exit', () => { for (const b of brokers) if (b.child && !b.exit) b.child.kill('SIGKILL'); });

  const meta = {
    date: startedAt.toISOString(),
    mode: opts.quick ? 'quick' : 'full',
    command: `bench/run.sh ${process.argv.slice(2).join(' ')}`.trim(),
    options: opts,
    machine: machineInfo(),
    node: process.version,
    rabbitmqVersion: rabbit?.version ?? null,
    warrenCommit: (() => {
      const c = git(['rev-parse', '--short', 'HEAD']);
      if (!c) return null;
      const dirty = git(['status', '--porcelain', '--', 'src']);
      return dirty ? `${c} + uncommitted changes in src/` : c;
    })(),
    brokers: brokers.map((b) => b.label),
    scenarios: scenarios.map((s) => s.name),
  };
  const results = [];
  const jsonPath = join(resultsDir, `${ts}.json`);
  const saveJson = () => writeResults(jsonPath, `${JSON.stringify({ meta: { ...meta, elapsedS: (Date.now() - t0) / 1000 }, results }, null, 2)}\n`);

  for (let round = 1; round <= opts.rounds; round++) {
    for (const sc of scenarios) {
      for (const broker of brokers) {
        const tag = `round ${round}/${opts.rounds} ${sc.name} ${broker.label}`;
        log(`${tag}: start`);
        const rec = { scenario: sc.name, broker: broker.name, brokerLabel: broker.label, round, figures: {}, problems: [], notes: [], error: null };
        const t1 = Date.now();
        let sampler = null;
        // CPU used on the machine by anything other than this benchmark during the run
        const sys0 = systemBusySeconds(), self0 = selfTreeCpuSeconds();
        const rabbit0 = broker.name === 'rabbitmq' && broker.pid ? { pid: broker.pid, cpu: cpuSeconds(broker.pid) } : null;
        if (broker.stopped) broker.stopped.length = 0;
        try {
          if (broker.name === 'warren' && buildError) throw new Error(buildError);
          if (broker.initError) throw new Error(broker.initError);
          await broker.begin(`${sc.name}-r${round}`);
          sampler = new RssSampler(broker.pid);
          const idle = await settle(broker, { quietS: opts.waitQuiet });
          rec.idleCpu = idle.load;
          if (!idle.settled) rec.notes.push(`broker was still busy before the run: ${(idle.load * 100).toFixed(0)} % of a core after ${idle.waitedS} s`);
          else if (idle.waitedS > 1) rec.notes.push(`waited ${idle.waitedS} s for the broker to go idle`);
          const ctx = { broker, sampler, opts, log: (m) => log(`${tag}: ${m}`) };
          const r = await KINDS[sc.kind].run({ ...sc }, ctx);
          Object.assign(rec, r);
        } catch (e) {
          rec.error = e.message;
          log(`${tag}: FAILED: ${e.message}`);
        } finally {
          sampler?.stop();
          const endErr = await broker.end().catch((e) => e.message);
          if (endErr) rec.problems.push(endErr);
          if (broker.logFile) rec.log = relative(ROOT, broker.logFile);
          if (broker.name === 'rabbitmq' && rec.error) {
            // make sure the reference broker is usable for the next run
            await broker.ensureRunning().catch((e) => log(`RabbitMQ restart failed: ${e.message}`));
          }
        }
        rec.seconds = (Date.now() - t1) / 1000;
        {
          let ours = selfTreeCpuSeconds() - self0;
          if (rabbit0) {
            // the beam(s) of this run: the one at the start (up to its stop, if restarted) and any started since
            const stops = broker.stopped.splice(0);
            const now = broker.pid ? cpuSeconds(broker.pid) : null;
            const firstEnd = stops.find((x) => x.pid === rabbit0.pid)?.cpu ?? (broker.pid === rabbit0.pid ? now : null);
            if (firstEnd != null) ours += firstEnd - rabbit0.cpu;
            for (const x of stops) if (x.pid !== rabbit0.pid && x.cpu != null) ours += x.cpu;
            if (broker.pid && broker.pid !== rabbit0.pid && now != null) ours += now;
          }
          const other = systemBusySeconds() - sys0 - ours;
          rec.otherCpuS = Math.max(0, other);
          const cores = rec.otherCpuS / rec.seconds;
          if (cores >= 0.1) rec.notes.push(`other processes on the machine used ${cores.toFixed(2)} cores on average during this run (${rec.otherCpuS.toFixed(1)} CPU-s): figures are disturbed`);
        }
        results.push(rec);
        const f = rec.figures;
        const brief = Object.entries(f).slice(0, 4).map(([k, v]) => `${k}=${v == null ? '—' : Math.round(v * 100) / 100}`).join(' ');
        log(`${tag}: done in ${rec.seconds.toFixed(0)} s ${rec.error ? '(failed)' : brief}${rec.problems.length ? ` [${rec.problems.length} problem(s): ${rec.problems[0]}]` : ''}`);
        saveJson();
      }
    }
  }

  meta.elapsedS = (Date.now() - t0) / 1000;
  render({ meta, results }, scenarios, brokers.map((b) => ({ name: b.name, label: b.label })), opts, ts);
  const failed = results.filter((r) => r.error).length;
  cleanup();
  // nothing of ours is left running; don't wait for stray timers or sockets
  setTimeout(() => process.exit(failed ? 1 : 0), 200);
}

/**
 * Waits (up to 20 s) until the broker process uses under `threshold` of a core over 500 ms, so a
 * run does not start while the broker still works off the previous one (e.g. RabbitMQ deleting a
 * big queue's files). With quietS > 0, also waits (up to quietS) until everything else on the
 * machine uses under 0.25 cores.
 */
async function settle(broker, { threshold = 0.1, quietS = 0 } = {}) {
  const start = Date.now();
  const maxS = Math.max(20, quietS);
  let load = null, other = null;
  while (Date.now() - start < maxS * 1000) {
    const c0 = cpuSeconds(broker.pid), s0 = systemBusySeconds(), m0 = selfTreeCpuSeconds();
    await new Promise((r) => setTimeout(r, 500));
    const c1 = cpuSeconds(broker.pid), s1 = systemBusySeconds(), m1 = selfTreeCpuSeconds();
    if (c0 === null || c1 === null) return { settled: true, load: null, other: null, waitedS: 0 };
    load = (c1 - c0) / 0.5;
    other = Math.max(0, (s1 - s0) - (c1 - c0) - (m1 - m0)) / 0.5;
    const waited = (Date.now() - start) / 1000;
    const brokerIdle = load < threshold || waited > 20;
    const quiet = quietS <= 0 || other < 0.25 || waited > quietS;
    if (brokerIdle && quiet) return { settled: load < threshold, load, other, waitedS: Math.round(waited) };
  }
  return { settled: false, load, other, waitedS: maxS };
}

/** Table on stdout, results/<ts>.md and .json, and (opts.docs) the docs/performance.md section. */
function render({ meta, results }, scenarios, brokers, opts, ts) {
  const resultsDir = join(BENCH, 'results');
  const jsonPath = join(resultsDir, `${ts}.json`);
  const summary = summarise(results, scenarios, brokers);
  process.stdout.write(`${textTable(summary, brokers)}\n`);
  writeResults(jsonPath, `${JSON.stringify({ meta, summary, results }, null, 2)}\n`);
  const section = [
    '## Benchmarks: Warren vs RabbitMQ',
    '',
    `Produced by \`bench/run.sh\` (see [bench/README.md](../bench/README.md)); raw data in \`bench/results/${ts}.json\`.`,
    '',
    metaMarkdown(meta),
    '',
    DURABILITY_NOTE,
    '',
    ...(brokers.length === 2 ? ['#### Targets', '', targetsMarkdown(summary, scenarios), ''] : []),
    brokers.length === 2 ? `The last column is ${brokers[0].label} ÷ ${brokers[1].label}; ↑ marks figures where higher is better, ↓ where lower is better.` : '↑ marks figures where higher is better, ↓ where lower is better.',
    '',
    markdownTables(summary, brokers, scenarios, opts),
  ].join('\n');
  const mdPath = join(resultsDir, `${ts}.md`);
  writeResults(mdPath, `${section.replace(/^## /, '# ')}\n`);
  log(`wrote ${relative(ROOT, mdPath)} and ${relative(ROOT, jsonPath)}`);
  if (opts.docs) {
    updateDocs(join(ROOT, 'docs', 'performance.md'), section);
    log('updated docs/performance.md');
  }
}

/** --render FILE.json: rebuild the tables (and docs section, unless --no-docs) from a saved run. */
function renderSaved(file, docs) {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const { meta, results } = data;
  const scenarios = meta.scenarios.map((n) => byName.get(n)).filter(Boolean);
  const brokers = [...new Map(results.map((r) => [r.broker, { name: r.broker, label: r.brokerLabel }])).values()]
    .sort((a, b) => (a.name === 'warren' ? -1 : 1) - (b.name === 'warren' ? -1 : 1));
  const ts = basename(file).replace(/\.json$/, '');
  render({ meta, results }, scenarios, brokers, { ...meta.options, docs }, ts);
}

const renderIdx = process.argv.indexOf('--render');
if (renderIdx >= 0) {
  renderSaved(process.argv[renderIdx + 1], !process.argv.includes('--no-docs'));
} else main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(2);
});
