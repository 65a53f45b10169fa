// Running the pika scripts in test/integration/pika/ with Debian's python3-pika (1.2), shared by the
// tutorial tests and the durable-restart tests: an availability check, a bounded non-blocking run
// (an in-process Warren must keep serving meanwhile), and a readable report for assertion messages.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from './broker.js';

/** Debian's interpreter: the `python3` on PATH may be another one without pika. */
export const PYTHON = '/usr/bin/python3';
export const SCRIPT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'integration', 'pika');
/** Kill a script that overruns this; the scripts bound themselves at 30 s (PIKA_SCRIPT_TIMEOUT). */
export const SCRIPT_TIMEOUT_MS = 45_000;

/** Why pika cannot run here, or null when it can. */
export function pikaProblem(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `${PYTHON} -c 'import pika' failed: ${(r.stderr || '').trim()}`;
  return null;
}

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs one script with extra environment variables (e.g. AMQP_URL); bounded by SCRIPT_TIMEOUT_MS. */
export function runPikaScript(script: string, env: Record<string, string>): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-B', join(SCRIPT_DIR, script)], {
      cwd: SCRIPT_DIR,
      env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, SCRIPT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** How a script ended, with its output, for an assertion message. */
export function describeResult(script: string, r: ScriptResult): string {
  const status = r.timedOut ? `killed after ${SCRIPT_TIMEOUT_MS} ms` : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  return [`${script}: ${status}`, '--- stdout ---', r.stdout.trimEnd(), '--- stderr ---', r.stderr.trimEnd()].join('\n');
}

/**
 * One test per pika script, all against one broker started for the suite (in-process Warren, or the
 * broker named by WARREN_TEST_AMQP_URL). A script passes when it exits 0 and prints "OK: ...".
 * Without python3-pika the tests are skipped locally and fail under CI (which installs it).
 */
export function describePikaScripts(title: string, scripts: ReadonlyArray<readonly [string, string]>, concurrency = 1): void {
  describe(title, { concurrency }, () => {
    const problem = pikaProblem();
    let broker: TestBroker | undefined;
    before(async () => {
      if (!problem) broker = await startBroker();
    });
    after(async () => {
      await broker?.stop();
    });
    for (const [script, what] of scripts) {
      test(`${script} - ${what}`, { timeout: SCRIPT_TIMEOUT_MS + 10_000 }, async (t) => {
        if (problem) {
          if (process.env.CI) assert.fail(`python3-pika is required under CI: ${problem}`);
          t.skip('python3-pika not installed: apt-get install python3-pika');
          return;
        }
        assert.ok(broker, 'broker not started');
        const result = await runPikaScript(script, { AMQP_URL: broker.url });
        const report = describeResult(script, result);
        assert.equal(result.code, 0, report);
        assert.match(result.stdout, /^OK: /m, report);
        t.diagnostic(result.stdout.trim());
      });
    }
  });
}
