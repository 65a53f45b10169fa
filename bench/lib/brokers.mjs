// The two brokers under test, behind one small interface used by the scenario kinds:
//   begin()           ready for a scenario run (Warren: a fresh process on a fresh data dir)
//   end()             after the run (Warren: stop it and delete the data dir)
//   url, pid          where it listens, and the OS process whose CPU / RSS is measured
//   check()           throws if the broker process died unexpectedly
//   stopGraceful()    → { stopMs }
//   launch()          start again on the same data (and port): → { launchNs, ready: Promise }
//   kill9()           (Warren only) SIGKILL
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, cpuSeconds } from './procstat.mjs';
import { hrtimeNs, sleep } from '../loadgen/pool.mjs';

function run(cmd, args, { timeoutMs = 60000, env } = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: env ?? process.env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, killed: err?.killed ?? false, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A pino JSON line as "level: msg (err)"; anything else cut to 300 characters. */
function compactLogLine(line) {
  try {
    const j = JSON.parse(line);
    const err = j.err ? ` (${j.err.message ?? j.err.type ?? JSON.stringify(j.err).slice(0, 200)})` : '';
    return `${LEVELS[j.level] ?? j.level}: ${j.msg}${err}`;
  } catch {
    return line.length > 300 ? `${line.slice(0, 300)}…` : line;
  }
}

export class WarrenBroker {
  constructor({ root, logDir }) {
    this.name = 'warren';
    this.label = 'Warren';
    this.root = root;
    this.bin = join(root, 'bin', 'warren');
    this.logDir = logDir;
    this.child = null;
    this.exit = null;
    this.dataDir = null;
    this.port = 0;
    this.url = null;
    this.pid = null;
    this.expectExit = false;
    this.tail = [];
    this.runCount = 0;
    this.supportsKill9 = true;
  }

  async begin(runName) {
    this.dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-'));
    this.port = 0;
    this.runCount++;
    mkdirSync(this.logDir, { recursive: true });
    this.logFile = join(this.logDir, `warren-${String(this.runCount).padStart(2, '0')}-${runName}.log`);
    const h = this.launch();
    await h.ready;
  }

  /** Spawns bin/warren on this.dataDir (and this.port if already known). */
  launch() {
    this.exit = null;
    this.expectExit = false;
    this.tail = [];
    const launchNs = hrtimeNs();
    // run bin/warren itself, as `npm start` does, so its shebang's node flags (the young-generation
    // size) apply; `env -S` execs node, so the child's PID is the broker's
    const child = spawn(this.bin, ['--port', String(this.port), '--host', '127.0.0.1', '--data-dir', this.dataDir, '--management-port', '0', '--log-level', 'info'], {
      cwd: this.root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- launch pid ${child.pid} at ${new Date().toISOString()} port ${this.port} data ${this.dataDir}\n`);
    let buf = '';
    let resolveReady, rejectReady;
    const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
    ready.catch(() => {});
    let found = false;
    const onLine = (line) => {
      this.tail.push(compactLogLine(line));
      if (this.tail.length > 20) this.tail.shift();
      if (!found && line.includes('AMQP listener started')) {
        const m = /"port":(\d+)/.exec(line);
        if (m) {
          found = true;
          this.port = Number(m[1]);
          this.url = `amqp://guest:guest@127.0.0.1:${this.port}/%2F`;
          resolveReady({ port: this.port, readyNs: hrtimeNs() });
        }
      }
    };
    const onData = (d) => {
      log.write(d);
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (buf.length > 65536) buf = buf.slice(-65536);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      log.write(`--- exit code ${code} signal ${signal}\n`);
      log.end();
      if (!found) rejectReady(new Error(`Warren exited during startup (code ${code}, signal ${signal}): ${this.tail.slice(-5).join(' | ')}`));
    });
    const timer = setTimeout(() => { if (!found) rejectReady(new Error(`Warren did not log "AMQP listener started" within 60 s: ${this.tail.slice(-5).join(' | ')}`)); }, 60000);
    timer.unref();
    return { launchNs, pid: child.pid, ready };
  }

  check() {
    if (this.exit && !this.expectExit) {
      throw new Error(`Warren exited unexpectedly (code ${this.exit.code}, signal ${this.exit.signal}); last log: ${this.tail.slice(-3).join(' | ')}`);
    }
  }

  waitExit(timeoutMs) {
    if (this.exit) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.child.once('exit', () => { clearTimeout(t); resolve(true); });
    });
  }

  async stopGraceful(timeoutMs = 60000) {
    if (!this.child || this.exit) return { stopMs: 0, note: 'not running' };
    this.expectExit = true;
    const t0 = Date.now();
    this.child.kill('SIGTERM');
    const ok = await this.waitExit(timeoutMs);
    const stopMs = Date.now() - t0;
    if (!ok) {
      this.child.kill('SIGKILL');
      await this.waitExit(10000);
      throw new Error(`Warren did not exit within ${timeoutMs / 1000} s of SIGTERM (killed)`);
    }
    if (this.exit.code !== 0) return { stopMs, note: `exit code ${this.exit.code} signal ${this.exit.signal}` };
    return { stopMs };
  }

  async kill9() {
    if (!this.child || this.exit) return;
    this.expectExit = true;
    this.child.kill('SIGKILL');
    await this.waitExit(10000);
  }

  async end() {
    let err = null;
    try {
      if (this.child && !this.exit) {
        const r = await this.stopGraceful(30000);
        if (r.note) err = `Warren shutdown: ${r.note}`;
      }
    } catch (e) {
      err = e.message;
    }
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = null;
    return err;
  }

  async shutdown() {
    if (this.child && !this.exit) { this.expectExit = true; this.child.kill('SIGKILL'); }
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export class RabbitBroker {
  constructor({ script }) {
    this.name = 'rabbitmq';
    this.label = 'RabbitMQ';
    this.script = script;
    this.url = 'amqp://guest:guest@127.0.0.1:5682/%2F';
    this.pid = null;
    this.supportsKill9 = false;
    this.startJob = null;
    this.stopped = [];
  }

  async sh(args, timeoutMs = 180000) {
    return run('bash', [this.script, ...args], { timeoutMs });
  }

  async init() {
    const env = await this.sh(['env'], 10000);
    const m = /AMQP_URL='([^']+)'/.exec(env.stdout);
    if (m) this.url = m[1];
    await this.ensureRunning();
    const v = await this.sh(['ctl', 'version'], 60000);
    this.version = (v.code === 0 && /\d+\.\d+\.\d+/.exec(v.stdout)?.[0]) || null;
    if (!this.version) {
      const d = await run('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server'], { timeoutMs: 10000 });
      this.version = d.stdout.trim() || 'unknown';
    }
  }

  async ensureRunning() {
    if (this.startJob) { await this.startJob; this.startJob = null; }
    const st = await this.sh(['status'], 30000);
    if (st.code !== 0) {
      const r = await this.sh(['start'], 240000);
      if (r.code !== 0) throw new Error(`reference-rabbitmq.sh start failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    }
    await this.refreshPid();
  }

  async refreshPid() {
    const p = await this.sh(['pid'], 10000);
    const pid = Number(p.stdout.trim());
    if (!pid) throw new Error('cannot read the RabbitMQ beam PID (reference-rabbitmq.sh pid)');
    this.pid = pid;
    return pid;
  }

  async begin() {
    await this.ensureRunning();
  }

  check() {
    if (this.pid && !alive(this.pid)) throw new Error(`RabbitMQ (beam pid ${this.pid}) is no longer running`);
  }

  async stopGraceful() {
    // for the runner's CPU accounting: what this beam had used when it was told to stop
    if (this.pid) this.stopped.push({ pid: this.pid, cpu: cpuSeconds(this.pid) });
    const t0 = Date.now();
    const r = await this.sh(['stop'], 180000);
    const stopMs = Date.now() - t0;
    this.pid = null;
    if (r.code !== 0) throw new Error(`reference-rabbitmq.sh stop failed: ${(r.stderr || r.stdout).trim()}`);
    return { stopMs };
  }

  /** Starts RabbitMQ in the background; ready resolves when the script's start (incl. management) finished. */
  launch() {
    const launchNs = hrtimeNs();
    const job = this.sh(['start'], 240000).then(async (r) => {
      if (r.code !== 0) throw new Error(`reference-rabbitmq.sh start failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      await this.refreshPid();
      return { readyNs: hrtimeNs() };
    });
    job.catch(() => {});
    this.startJob = job.catch(() => {});
    return { launchNs, ready: job, pid: null };
  }

  /** PID of the beam once it exists (polls the pid file); null after timeoutMs. */
  async waitPid(timeoutMs = 60000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const p = await this.sh(['pid'], 10000);
      const pid = Number(p.stdout.trim());
      if (pid) { this.pid = pid; return pid; }
      await sleep(200);
    }
    return null;
  }

  async end() {
    return null;
  }

  async shutdown() {}
}
