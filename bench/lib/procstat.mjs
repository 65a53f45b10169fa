// Broker process accounting from /proc: CPU seconds (utime + stime), RSS, process start time.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function statFields(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "pid (comm) "; index 0 is field 3 (state)
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process has used so far, or null if it is gone. */
export function cpuSeconds(pid) {
  const f = statFields(pid);
  if (!f) return null;
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Process start as ns since boot (CLOCK_BOOTTIME; equal to process.hrtime's clock on a VM that never suspends). */
export function startNs(pid) {
  const f = statFields(pid);
  if (!f) return null;
  return (Number(f[19]) / CLK_TCK) * 1e9;
}

/** Resident set size in bytes, or null. */
export function rssBytes(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Samples a process's RSS every intervalMs and keeps the peak since the last resetPeak(). */
export class RssSampler {
  constructor(pid, intervalMs = 100) {
    this.pid = pid;
    this.peak = 0;
    this.last = 0;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }
  sample() {
    if (!this.pid) return 0;
    const r = rssBytes(this.pid);
    if (r !== null) {
      this.last = r;
      if (r > this.peak) this.peak = r;
    }
    return r ?? 0;
  }
  /** Follow another process (after a broker restart). */
  attach(pid) {
    this.pid = pid;
    this.sample();
  }
  resetPeak() {
    this.peak = 0;
    this.sample();
  }
  current() {
    return this.sample();
  }
  stop() {
    clearInterval(this.timer);
  }
}

export function machineInfo() {
  const info = { nproc: null, memTotalGiB: null, cpuModel: null };
  try {
    const cpu = readFileSync('/proc/cpuinfo', 'utf8');
    info.cpuModel = /model name\s*:\s*(.*)/.exec(cpu)?.[1]?.trim() ?? null;
  } catch { /* ignore */ }
  try {
    info.nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch { /* ignore */ }
  try {
    const mem = readFileSync('/proc/meminfo', 'utf8');
    const kb = Number(/MemTotal:\s+(\d+)/.exec(mem)?.[1]);
    info.memTotalGiB = Math.round((kb / 1024 / 1024) * 10) / 10;
  } catch { /* ignore */ }
  try {
    info.kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch { /* ignore */ }
  return info;
}

/** CPU seconds all CPUs spent busy (user, nice, system, irq, softirq, steal) since boot. */
export function systemBusySeconds() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + (steal || 0)) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds of this process plus its terminated, waited-for children (utime+stime+cutime+cstime). */
export function selfTreeCpuSeconds() {
  const f = statFields(process.pid);
  if (!f) return null;
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}
