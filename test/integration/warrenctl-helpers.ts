// Runs the built warrenctl (bin/warrenctl → dist/src/ctl/main.js) as a child process, the way an
// operator does, against a broker started by the test. The child is spawned asynchronously so an
// in-process broker keeps serving meanwhile; every run is bounded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WARRENCTL = join(ROOT, 'bin', 'warrenctl');
const BUILT = join(ROOT, 'dist', 'src', 'ctl', 'main.js');
/** A warrenctl run that takes longer than this is killed and reported. */
const RUN_TIMEOUT_MS = 30_000;

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Why these tests cannot run here, or false: warrenctl reaches the in-process Warren through the Unix socket in its data dir. */
export function ctlSkip(): string | false {
  return process.env.WARREN_TEST_AMQP_URL ? 'warrenctl tests need the in-process Warren (WARREN_TEST_AMQP_URL is set)' : false;
}

/** The tests run the built CLI: a missing build is a failure, not a skip. */
export function assertBuilt(): void {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
}

/** Runs `warrenctl ...args`; `stdin` is written to its standard input (then closed). */
export function warrenctl(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WARRENCTL, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A warrenctl bound to one broker's data dir. */
export function ctlFor(dataDir: string): (args: readonly string[], options?: { stdin?: string }) => Promise<CtlResult> {
  return (args, options) => warrenctl(['--data-dir', dataDir, ...args], options);
}

/** The whole result, for assertion messages. */
export function show(r: CtlResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
}

/** Asserts exit code, stdout and stderr exactly. */
export function expectRun(r: CtlResult, code: number, stdout: string, stderr = ''): void {
  assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code, stdout, stderr }, show(r));
}
