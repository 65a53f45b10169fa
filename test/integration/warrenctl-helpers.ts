// Runs the built warrenctl (bin/warrenctl → dist/src/ctl/main.js) as a child process, the way an
// operator does, against a broker started by the test. The child is spawned asynchronously so an
// in-process broker keeps serving meanwhile; every run is bounded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from '../helpers/broker.js';

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

/** A warrenctl run against one broker. */
export type Ctl = (args: readonly string[], options?: { stdin?: string }) => Promise<CtlResult>;

export interface CtlBroker {
  /** the broker (only inside tests and hooks: it starts in a `before` hook) */
  readonly broker: TestBroker;
  /** warrenctl bound to the broker's data dir */
  readonly ctl: Ctl;
}

/**
 * For a describe block: checks the build, starts an in-process broker before its tests (then runs
 * `setup`) and stops it after them (after `teardown`).
 */
export function useCtlBroker(hooks: { setup?: () => Promise<void>; teardown?: () => Promise<void> } = {}): CtlBroker {
  let started: TestBroker | undefined;
  const get = (): TestBroker => {
    if (started === undefined) throw new Error('the broker is used before it started');
    return started;
  };
  before(async () => {
    assertBuilt();
    started = await startBroker();
    await hooks.setup?.();
  });
  after(async () => {
    await hooks.teardown?.();
    await started?.stop();
  });
  return {
    get broker() {
      return get();
    },
    ctl: (args, options) => ctlFor(get().dataDir ?? '')(args, options),
  };
}

/** The whole result, for assertion messages. */
export function show(r: CtlResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
}

/** Asserts exit code, stdout and stderr exactly. */
export function expectRun(r: CtlResult, code: number, stdout: string, stderr = ''): void {
  assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code, stdout, stderr }, show(r));
}
