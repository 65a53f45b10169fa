// The real `warren` process for tests that must restart or crash the broker (durability, crash
// recovery): spawn bin/warren on a data dir with port 0 and read back the port it logs, stop it
// gracefully (SIGTERM, must exit 0), kill it with SIGKILL, and start it again on the same data dir.
//
// Every wait is bounded, and nothing outlives a test: a `Sandbox` (see `sandbox(t)`) owns the
// processes and temporary data dirs a test creates and, in `t.after`, SIGKILLs whatever is still
// running and removes the dirs, whether the test passed or not. As a last resort every child still
// alive when the test process exits is SIGKILLed.
//
// bin/warren runs dist/, so `npm run build` must have run (npm test does it).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeQuietly, connect, connectionClosed, openChannel, openConfirmChannel, withTimeout } from './amqp-helpers.js';
import { uniqueName } from './broker.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WARREN_BIN = join(ROOT, 'bin', 'warren');
const WARREN_MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** Bound for a start: process spawn + recovery of the data dir + listening. */
export const START_TIMEOUT_MS = 20_000;
/** Bound for a graceful stop (the broker itself gives clients 3 s to answer connection.close). */
export const STOP_TIMEOUT_MS = 15_000;
/** Bound for a SIGKILLed process to be reaped. */
const KILL_TIMEOUT_MS = 5_000;
/** Keep at most this much of each output stream (a soak run logs a connection line per client). */
const OUTPUT_LIMIT = 1 << 20;

export type RestartMode = 'graceful' | 'kill';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WarrenOptions {
  /** extra command-line flags, e.g. ['--disk-free-limit', '1000'] */
  args?: string[];
  /** --log-level (default info: the port line is logged at info); null: no flag (a --config file's level applies) */
  logLevel?: string | null;
  /** pass `--port 0 --host 127.0.0.1` (default true); false lets a --config file choose the listener */
  listenerFlags?: boolean;
  /** the process's environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
  /** bound for the port line to appear */
  startTimeoutMs?: number;
  /** called with every process started from these options (restarts too); sandboxes use it */
  track?: (p: WarrenProcess) => void;
}

// Children alive right now, SIGKILLed if the test process exits without having stopped them.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** A stream's output, truncated at the front once it passes OUTPUT_LIMIT. */
class OutputTail {
  private text = '';
  private dropped = false;
  append(s: string): void {
    this.text += s;
    if (this.text.length > OUTPUT_LIMIT * 2) {
      this.text = this.text.slice(-OUTPUT_LIMIT);
      this.dropped = true;
    }
  }
  toString(): string {
    return this.dropped ? `[...]\n${this.text}` : this.text;
  }
}

function checkBuilt(): void {
  if (!existsSync(WARREN_MAIN)) {
    throw new Error(`${WARREN_MAIN} does not exist: run \`npm run build\` first (bin/warren runs dist/)`);
  }
}

/** The last `n` lines of a text, for error messages. */
export function lastLines(text: string, n = 40): string {
  const lines = text.trimEnd().split('\n');
  return (lines.length > n ? ['[...]', ...lines.slice(-n)] : lines).join('\n');
}

/** Spawns bin/warren with exactly these arguments; output goes to the returned tails. */
function spawnWarren(args: string[], env?: NodeJS.ProcessEnv): { child: ChildProcess; stdout: OutputTail; stderr: OutputTail; exited: Promise<ExitStatus> } {
  checkBuilt();
  const child = spawn(process.execPath, [WARREN_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(child);
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  child.stdout?.setEncoding('utf8').on('data', (d: string) => stdout.append(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.append(d));
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', () => {
      live.delete(child);
      resolve({ code: null, signal: null });
    });
    // 'close' (not 'exit') so the output streams are complete when this resolves
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout, stderr, exited };
}

/** Finds `"port":N` on the "AMQP listener started" log line (pino JSON), if it is there yet. */
function loggedPort(stdout: string): number | null {
  for (const line of stdout.split('\n')) {
    if (!line.includes('AMQP listener started')) continue;
    try {
      const rec = JSON.parse(line) as { port?: unknown };
      if (typeof rec.port === 'number') return rec.port;
    } catch {
      const m = /"port":(\d+)/.exec(line);
      if (m) return Number(m[1]);
    }
  }
  return null;
}

function describeExit(s: ExitStatus): string {
  return s.signal ? `was killed by ${s.signal}` : `exited with code ${s.code}`;
}

/** Resolves with the value, or rejects after `ms` with a message naming what was awaited. */
function bounded<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One running `warren` process. */
export class WarrenProcess {
  private exitStatus: ExitStatus | null = null;

  private constructor(
    readonly dataDir: string,
    readonly options: WarrenOptions,
    readonly child: ChildProcess,
    readonly port: number,
    private readonly stdout: OutputTail,
    private readonly stderr: OutputTail,
    /** resolves when the process has exited (and its output is complete) */
    readonly exited: Promise<ExitStatus>,
  ) {
    void exited.then((s) => {
      this.exitStatus = s;
    });
  }

  /**
   * Starts `warren --port 0 --host 127.0.0.1 --data-dir DIR` and resolves once it logged the port
   * it listens on. Rejects (with its output) if it exits first or does not log it in time; a
   * process that overruns is SIGKILLed.
   */
  static async start(dataDir: string, options: WarrenOptions = {}): Promise<WarrenProcess> {
    const listener = options.listenerFlags === false ? [] : ['--port', '0', '--host', '127.0.0.1'];
    const level = options.logLevel === null ? [] : ['--log-level', options.logLevel ?? 'info'];
    const args = [...listener, '--data-dir', dataDir, ...level, ...(options.args ?? [])];
    const { child, stdout, stderr, exited } = spawnWarren(args, options.env);
    const timeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
    const output = (): string => `--- stdout ---\n${lastLines(stdout.toString())}\n--- stderr ---\n${lastLines(stderr.toString())}`;

    let onData: (() => void) | undefined;
    const port = new Promise<number>((resolve) => {
      onData = () => {
        const p = loggedPort(stdout.toString());
        if (p !== null) resolve(p);
      };
      child.stdout?.on('data', onData);
    });
    const early = exited.then((s) => {
      throw new Error(`warren on ${dataDir} ${describeExit(s)} before logging its port\n${output()}`);
    });
    try {
      const p = await bounded(Promise.race([port, early]), timeoutMs, () => `warren on ${dataDir} did not log "AMQP listener started" within ${timeoutMs} ms\n${output()}`);
      const proc = new WarrenProcess(dataDir, options, child, p, stdout, stderr, exited);
      options.track?.(proc);
      return proc;
    } catch (err) {
      child.kill('SIGKILL');
      await bounded(exited, KILL_TIMEOUT_MS, () => `warren pid ${child.pid} did not die after SIGKILL`).catch(() => {});
      throw err;
    } finally {
      if (onData) child.stdout?.off('data', onData);
      early.catch(() => {}); // handled above when it mattered
    }
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** amqp://guest:guest@127.0.0.1:PORT/%2F */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/%2F`;
  }

  get running(): boolean {
    return this.exitStatus === null;
  }

  /** Everything the process wrote so far (stdout, then stderr), for failure messages. */
  output(lines = 40): string {
    return `--- warren stdout (pid ${this.pid}, ${this.dataDir}) ---\n${lastLines(this.stdout.toString(), lines)}\n--- warren stderr ---\n${lastLines(this.stderr.toString(), lines)}`;
  }

  /** Graceful stop: SIGTERM, then the process must exit with code 0 within the bound. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (!this.running) throw new Error(`warren pid ${this.pid} is not running (it ${describeExit(this.exitStatus as ExitStatus)})\n${this.output()}`);
    this.child.kill('SIGTERM');
    let status: ExitStatus;
    try {
      status = await bounded(this.exited, timeoutMs, () => `warren pid ${this.pid} did not exit within ${timeoutMs} ms of SIGTERM\n${this.output()}`);
    } catch (err) {
      await this.kill();
      throw err;
    }
    if (status.code !== 0) throw new Error(`warren pid ${this.pid} ${describeExit(status)} after SIGTERM, expected exit code 0\n${this.output()}`);
  }

  /** kill -9: SIGKILL, and wait until the process is gone. No-op if it already exited. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await bounded(this.exited, KILL_TIMEOUT_MS, () => `warren pid ${this.pid} did not die within ${KILL_TIMEOUT_MS} ms of SIGKILL`);
  }

  /** Stops this process (gracefully, or with kill -9) and starts a new one on the same data dir. */
  async restart(mode: RestartMode): Promise<WarrenProcess> {
    if (mode === 'graceful') await this.stop();
    else await this.kill();
    return WarrenProcess.start(this.dataDir, this.options);
  }
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
  /** the process was still running at the deadline and was SIGKILLed */
  timedOut: boolean;
}

/**
 * Runs bin/warren with these arguments until it exits by itself (e.g. a broker that must refuse
 * to start); SIGKILLs it at the deadline, which the result reports as timedOut.
 */
export async function runWarrenToExit(args: string[], timeoutMs = START_TIMEOUT_MS, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const { child, stdout, stderr, exited } = spawnWarren(args, env);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const s = await bounded(exited, timeoutMs + KILL_TIMEOUT_MS, () => `warren pid ${child.pid} could not be killed`);
    return { ...s, stdout: stdout.toString(), stderr: stderr.toString(), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** A new empty temporary directory (the caller removes it; sandboxes do). */
export function makeTempDir(prefix = 'warren-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory tree, never throwing. */
export function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* best effort */
  }
}

/**
 * What one test (or script) spawned and created: its warren processes (restarts included) and
 * temporary data dirs. cleanup() SIGKILLs every process still running and removes the dirs.
 */
export class Sandbox {
  private readonly dirs: string[] = [];
  private readonly procs = new Set<WarrenProcess>();
  private readonly track = (p: WarrenProcess): void => {
    this.procs.add(p);
  };

  /** A new empty temporary data dir, removed at cleanup. */
  tempDir(prefix = 'warren-data-'): string {
    const d = makeTempDir(prefix);
    this.dirs.push(d);
    return d;
  }

  /** Registers a path created by the caller for removal at cleanup. */
  own(dir: string): string {
    this.dirs.push(dir);
    return dir;
  }

  /** Starts warren on `dataDir` (default: a new temp dir); it and its restarts are cleaned up. */
  start(dataDir: string = this.tempDir(), options: WarrenOptions = {}): Promise<WarrenProcess> {
    const track = options.track;
    return WarrenProcess.start(dataDir, {
      ...options,
      track: (p) => {
        this.track(p);
        track?.(p);
      },
    });
  }

  async cleanup(): Promise<void> {
    const kills = [...this.procs].map((p) => p.kill().catch(() => {}));
    await Promise.all(kills);
    this.procs.clear();
    for (const d of this.dirs.splice(0)) removeDir(d);
  }
}

/** A Sandbox whose cleanup runs after the test, pass or fail. */
export function sandbox(t: TestContext): Sandbox {
  const s = new Sandbox();
  t.after(() => s.cleanup());
  return s;
}

// ---------------------------------------------------------------------------------------------
// Crash under confirmed load (test/integration/crash.test.ts and scripts/soak-crash.mjs)
//
// One cycle: a durable queue, several publisher connections on confirm channels sending
// persistent messages as fast as a window of unconfirmed messages allows, the broker SIGKILLed a
// random moment after the load started, restarted on the same data dir, and the queue read back.
// Every message whose basic.ack (confirm) reached a publisher must be there.

/** Deterministic PRNG (mulberry32) so a failing cycle can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CrashLoadOptions {
  /** publisher connections, one confirm channel each (default 4) */
  publishers?: number;
  /** body size in bytes (default 1024) */
  bodySize?: number;
  /** unconfirmed messages a publisher may have outstanding (default 64) */
  window?: number;
  /** stop publishing after this many per publisher, bounding a cycle (default 5000) */
  maxPerPublisher?: number;
  /** the SIGKILL comes a uniformly random delay in [min, max] ms after the load started */
  killDelayMs?: readonly [number, number];
  /** randomness for the kill delay (default Math.random) */
  random?: () => number;
}

export interface CrashCycleReport {
  queue: string;
  killDelayMs: number;
  /** messages handed to the client library */
  published: number;
  /** basic.ack received: these must all be present after the restart */
  confirmed: number;
  /** basic.nack received */
  nacked: number;
  /** deliveries read back after the restart */
  recovered: number;
  /** recovered messages whose confirm had not arrived before the kill (allowed) */
  unconfirmedRecovered: number;
  /** extra copies of a message (allowed only with redelivered=true) */
  duplicates: number;
  /** ms from the SIGKILL to the restarted broker listening */
  restartMs: number;
  /** everything that broke a guarantee; empty when the cycle passed */
  problems: string[];
}

/** Message id "p<publisher>-<seq>"; the body carries it and a fill byte derived from it. */
function crashBody(pub: number, seq: number, size: number): Buffer {
  const body = Buffer.alloc(size, 0x41 + ((pub * 7 + seq) % 26));
  body.write(`p${pub}-${seq}|`, 0, 'latin1');
  return body;
}

/** Parses and verifies a body made by crashBody; null if it is not one (torn, mixed, corrupt). */
function parseCrashBody(body: Buffer, size: number): { pub: number; seq: number } | null {
  const m = /^p(\d+)-(\d+)\|/.exec(body.subarray(0, 32).toString('latin1'));
  if (!m || body.length !== size) return null;
  const pub = Number(m[1]);
  const seq = Number(m[2]);
  return crashBody(pub, seq, size).equals(body) ? { pub, seq } : null;
}

function sample<T>(items: T[], n = 8): string {
  return items.length <= n ? items.join(', ') : `${items.slice(0, n).join(', ')}, … (${items.length} in all)`;
}

/**
 * Runs one crash cycle against `broker` (which is SIGKILLed) and returns the restarted broker with
 * the cycle's report. `previousQueue`, the queue the previous cycle deleted, must still be gone.
 * Throws only for harness trouble (cannot connect before the kill, broker fails to restart).
 */
export async function crashCycle(
  broker: WarrenProcess,
  options: CrashLoadOptions = {},
  previousQueue?: string,
): Promise<{ broker: WarrenProcess; report: CrashCycleReport }> {
  const publishers = options.publishers ?? 4;
  const bodySize = options.bodySize ?? 1024;
  const window = options.window ?? 64;
  const maxPerPublisher = options.maxPerPublisher ?? 5000;
  const [minDelay, maxDelay] = options.killDelayMs ?? [50, 400];
  const random = options.random ?? Math.random;
  const killDelayMs = Math.round(minDelay + random() * (maxDelay - minDelay));
  const queue = uniqueName('crash');
  const problems: string[] = [];

  // --- load ----------------------------------------------------------------------------------
  const setup = await connect(broker.url);
  await withTimeout((await openChannel(setup)).assertQueue(queue, { durable: true }), 5000, 'queue.declare');
  await closeQuietly(setup);

  const conns = await Promise.all(Array.from({ length: publishers }, () => connect(broker.url)));
  const channels = await Promise.all(conns.map((c) => openConfirmChannel(c)));
  const sent = new Array<number>(publishers).fill(0);
  const confirmed = new Set<string>();
  let nacked = 0;
  let stopped = false;

  const pump = (pub: number, outstanding: { n: number }): void => {
    const ch = channels[pub];
    while (!stopped && outstanding.n < window && sent[pub] < maxPerPublisher) {
      const seq = sent[pub];
      const id = `p${pub}-${seq}`;
      outstanding.n += 1;
      try {
        ch.sendToQueue(queue, crashBody(pub, seq, bodySize), { persistent: true, messageId: id }, (err) => {
          outstanding.n -= 1;
          if (err === null) confirmed.add(id);
          else if (/nack/.test(err.message)) nacked += 1;
          pump(pub, outstanding);
        });
      } catch {
        return; // the channel is gone (the broker was killed under us)
      }
      sent[pub] = seq + 1;
    }
  };
  for (let pub = 0; pub < publishers; pub++) pump(pub, { n: 0 });

  // --- the crash -----------------------------------------------------------------------------
  await new Promise((resolve) => setTimeout(resolve, killDelayMs));
  stopped = true;
  await broker.kill();
  // Acks the broker wrote before dying may still be in our socket buffers: take them in.
  await Promise.all(conns.map((c) => connectionClosed(c, 5000).catch(() => null)));
  const published = sent.reduce((a, b) => a + b, 0);

  const t0 = Date.now();
  const restarted = await WarrenProcess.start(broker.dataDir, broker.options);
  const restartMs = Date.now() - t0;

  // --- read everything back --------------------------------------------------------------------
  const reader = await connect(restarted.url);
  const deliveries: Array<{ id: string | null; redelivered: boolean; persistent: boolean; messageId: unknown }> = [];
  try {
    if (previousQueue) {
      const ch = await openChannel(reader);
      const back = await withTimeout(ch.checkQueue(previousQueue), 5000, 'passive queue.declare').then(
        () => true,
        () => false,
      );
      if (back) problems.push(`queue ${previousQueue}, deleted in the previous cycle (delete-ok received), is back after kill -9`);
    }
    const ch = await openChannel(reader);
    let ready: number;
    try {
      ready = (await withTimeout(ch.checkQueue(queue), 5000, 'passive queue.declare')).messageCount;
    } catch (err) {
      problems.push(`durable queue ${queue} (declare-ok received) is missing after kill -9: ${(err as Error).message}; ${confirmed.size} confirmed messages lost`);
      return {
        broker: restarted,
        report: { queue, killDelayMs, published, confirmed: confirmed.size, nacked, recovered: 0, unconfirmedRecovered: 0, duplicates: 0, restartMs, problems },
      };
    }
    let notify: (() => void) | undefined;
    await withTimeout(
      ch.consume(
        queue,
        (m) => {
          if (!m) return;
          const parsed = parseCrashBody(m.content, bodySize);
          deliveries.push({
            id: parsed ? `p${parsed.pub}-${parsed.seq}` : null,
            redelivered: m.fields.redelivered,
            persistent: m.properties.deliveryMode === 2,
            messageId: m.properties.messageId,
          });
          notify?.();
        },
        { noAck: true },
      ),
      5000,
      'basic.consume',
    );
    const drainMs = 10_000 + ready;
    await withTimeout(
      new Promise<void>((resolve) => {
        notify = () => {
          if (deliveries.length >= ready) resolve();
        };
        notify();
      }),
      drainMs,
      `the ${ready} messages the queue reported after restart (got ${deliveries.length})`,
    ).catch((err: Error) => problems.push(err.message));
    const left = (await withTimeout(ch.checkQueue(queue), 5000, 'passive queue.declare')).messageCount;
    if (left !== 0) problems.push(`after consuming the ${ready} messages declare-ok reported, ${left} were still ready`);
    await withTimeout(ch.deleteQueue(queue), 5000, 'queue.delete');
  } finally {
    await closeQuietly(reader);
  }

  // --- check ---------------------------------------------------------------------------------
  const copies = new Map<string, { total: number; fresh: number }>();
  const corrupt: string[] = [];
  const phantom: string[] = [];
  const transient: string[] = [];
  const outOfOrder: string[] = [];
  const lastSeq = new Array<number>(publishers).fill(-1);
  for (const d of deliveries) {
    if (d.id === null) {
      corrupt.push(`messageId=${String(d.messageId)}`);
      continue;
    }
    if (d.messageId !== d.id) corrupt.push(`${d.id} with messageId=${String(d.messageId)}`);
    const [pub, seq] = d.id.slice(1).split('-').map(Number);
    if (pub >= publishers || seq >= sent[pub]) phantom.push(d.id);
    if (!d.persistent) transient.push(d.id);
    const c = copies.get(d.id) ?? { total: 0, fresh: 0 };
    c.total += 1;
    if (!d.redelivered) {
      c.fresh += 1;
      // one channel's messages to one queue keep their order, across the crash too
      if (pub < publishers && seq <= lastSeq[pub]) outOfOrder.push(`${d.id} after p${pub}-${lastSeq[pub]}`);
      if (pub < publishers) lastSeq[pub] = Math.max(lastSeq[pub], seq);
    }
    copies.set(d.id, c);
  }
  const lost = [...confirmed].filter((id) => !copies.has(id));
  const badDuplicates = [...copies].filter(([, c]) => c.fresh > 1).map(([id, c]) => `${id} ×${c.fresh}`);
  const duplicates = [...copies.values()].reduce((a, c) => a + c.total - 1, 0);
  if (lost.length) problems.push(`${lost.length} of ${confirmed.size} confirmed messages are missing after kill -9: ${sample(lost)}`);
  if (corrupt.length) problems.push(`${corrupt.length} recovered messages have a corrupt body or wrong messageId: ${sample(corrupt)}`);
  if (phantom.length) problems.push(`${phantom.length} recovered messages were never published: ${sample(phantom)}`);
  if (transient.length) problems.push(`${transient.length} recovered messages lost delivery_mode 2: ${sample(transient)}`);
  if (outOfOrder.length) problems.push(`${outOfOrder.length} recovered messages are out of publish order: ${sample(outOfOrder)}`);
  if (badDuplicates.length) problems.push(`${badDuplicates.length} messages came back more than once with redelivered=false: ${sample(badDuplicates)}`);
  const unconfirmedRecovered = [...copies.keys()].filter((id) => !confirmed.has(id)).length;
  return {
    broker: restarted,
    report: {
      queue,
      killDelayMs,
      published,
      confirmed: confirmed.size,
      nacked,
      recovered: deliveries.length,
      unconfirmedRecovered,
      duplicates,
      restartMs,
      problems,
    },
  };
}
