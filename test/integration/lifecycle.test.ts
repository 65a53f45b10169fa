// The `warren` process: starts on port 0 and logs the chosen port, serves clients, and on SIGTERM
// closes every connection with 320 CONNECTION_FORCED and exits 0. Bad flags: one-line error, exit 2.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import amqp from 'amqplib';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'warren');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts bin/warren on port 0 and resolves with the process and the port it logged. */
function startWarren(): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-proc-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [BIN, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not log its port in 10 s:\n${out}`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)[^\n]*AMQP listener started/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => out });
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited early with ${code}:\n${out}`));
    });
  });
}

describe('warren process', () => {
  test('port 0 is logged, clients work, SIGTERM closes them with 320 and exits 0', async () => {
    const { child, port, output } = await startWarren();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    assert.match(q.queue, /^amq\.gen-/);
    const closed = new Promise<Error | undefined>((resolve) => {
      conn.on('error', (e: Error) => resolve(e));
      conn.on('close', (e?: Error) => resolve(e));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const err = (await closed) as (Error & { code?: number }) | undefined;
    assert.ok(err, 'the client saw a server-initiated close');
    assert.equal(err.code, 320);
    assert.match(err.message, /CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'/);
    assert.equal(await exited, 0, output());
    assert.match(output(), /accepting AMQP connection/);
    assert.match(output(), /connection opened/);
  });

  test('the PID of bin/warren is the broker itself (no wrapper process)', async () => {
    const { child, port } = await startWarren();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    conn.on('error', () => {});
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    process.kill(child.pid as number, 'SIGINT');
    assert.equal(await exited, 0);
  });

  test('a bad flag prints a one-line reason and exits non-zero', () => {
    for (const args of [['--port', 'abc'], ['--bogus'], ['--log-level', 'loud']]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
      assert.notEqual(r.status, 0, `warren ${args.join(' ')} exits non-zero`);
      assert.match(r.stderr.split('\n')[0] ?? '', /^Error: .+/);
    }
  });
});
