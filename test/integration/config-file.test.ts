// `warren --config FILE` (rabbitmq.conf syntax), observed from outside: bin/warren child processes
// started with a config file this test writes, checked over AMQP (the listener, connection.tune,
// the first-boot user and vhost, message size limits, alarms, loopback users), through the log
// (levels, warnings) and through exit codes and stderr (unknown keys, bad values).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import amqp from 'amqplib';
import { closeQuietly, connect, expectChannelError, openChannel, openConfirmChannel, TIMEOUT_MS, withTimeout } from '../helpers/amqp-helpers.js';
import { decodeMethod, isMethod, openConnection, Reader } from '../helpers/raw-client.js';
import { runWarrenToExit, type Sandbox, sandbox } from '../helpers/warren-process.js';

/** sysexits.h EX_CONFIG, the exit code for a config file Warren cannot run with. */
const EX_CONFIG = 78;

/** A port nobody listens on right now (for settings that must name a port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Writes a rabbitmq.conf into a sandboxed temp dir and returns its path. */
function writeConf(sb: Sandbox, lines: string[]): string {
  const path = join(sb.tempDir('warren-conf-'), 'rabbitmq.conf');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ sha256(salt ‖ password)), 4-byte salt. */
function passwordHash(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash('sha256').update(salt).update(password, 'utf8').digest()]).toString('base64');
}

/** The reason of the connection.blocked the broker sends right after connection.open-ok. */
async function blockedReason(port: number): Promise<string> {
  const c = await openConnection('127.0.0.1', port);
  try {
    const f = await c.nextMatching((fr) => isMethod(fr, [10, 60]), TIMEOUT_MS, 'connection.blocked');
    return new Reader(decodeMethod(f.payload).args).shortstr();
  } finally {
    c.destroy();
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('warren --config (rabbitmq.conf)', () => {
  test('listeners.tcp.default, heartbeat, frame_max (with a unit) and channel_max shape the listener and connection.tune', async (t) => {
    const sb = sandbox(t);
    const port = await freePort();
    const conf = writeConf(sb, ['# the AMQP listener', `listeners.tcp.default = 127.0.0.1:${port}`, '', 'heartbeat = 7', 'frame_max = 64KB   # 65536', 'channel_max = 99']);
    const w = await sb.start(undefined, { listenerFlags: false, args: ['--config', conf] });
    assert.equal(w.port, port, `the broker listens on the file's port\n${w.output()}`);
    const c = await openConnection('127.0.0.1', port);
    try {
      assert.deepEqual(c.hs.tune, { channelMax: 99, frameMax: 65536, heartbeat: 7 }, 'connection.tune carries the configured limits');
    } finally {
      c.destroy();
    }
    await w.stop();
  });

  test("default_user, default_pass (quoted, with a '#') and default_vhost make the first-boot user; guest does not exist", async (t) => {
    const sb = sandbox(t);
    const conf = writeConf(sb, ['default_user = alice', "default_pass = 's3#cret'   # quoted: the value holds a '#'", 'default_vhost = apps']);
    const w = await sb.start(undefined, { args: ['--config', conf] });
    const conn = await connect(`amqp://alice:${encodeURIComponent('s3#cret')}@127.0.0.1:${w.port}/apps`);
    const ch = await openChannel(conn);
    const { queue } = await ch.assertQueue('', { exclusive: true });
    assert.match(queue, /^amq\.gen-/);
    await closeQuietly(conn);
    await assert.rejects(withTimeout(amqp.connect(w.url), TIMEOUT_MS, 'guest login'), /ACCESS_REFUSED/, 'guest was not created');
    await w.stop();
  });

  test('max_message_size: a larger message closes the channel with 406, one at the limit is accepted', async (t) => {
    const sb = sandbox(t);
    const w = await sb.start(undefined, { args: ['--config', writeConf(sb, ['max_message_size = 1000'])] });
    const conn = await connect(w.url);
    try {
      const ok = await openConfirmChannel(conn);
      ok.sendToQueue('amq.gen-none', Buffer.alloc(1000));
      await withTimeout(ok.waitForConfirms(), TIMEOUT_MS, 'confirm of a 1000-byte message');
      const ch = await openChannel(conn);
      await expectChannelError(
        ch,
        () => ch.publish('', 'nowhere', Buffer.alloc(2000)),
        { code: 406, text: 'PRECONDITION_FAILED - message size 2000 is larger than configured max size 1000', classId: 60, methodId: 40 },
        conn,
      );
    } finally {
      await closeQuietly(conn);
    }
    await w.stop();
  });

  test('vm_memory_high_watermark.absolute and disk_free_limit.absolute take units and raise their alarms', async (t) => {
    const sb = sandbox(t);
    const memory = await sb.start(undefined, { args: ['--config', writeConf(sb, ['vm_memory_high_watermark.absolute = 1MiB'])] });
    assert.equal(await blockedReason(memory.port), 'low on memory', 'a 1 MiB watermark is always exceeded');
    await memory.stop();
    const disk = await sb.start(undefined, { args: ['--config', writeConf(sb, ['disk_free_limit.absolute = 1000000GB'])] });
    assert.equal(await blockedReason(disk.port), 'low on disk', 'no disk has 10^15 bytes free');
    await disk.stop();
  });

  test('log.console.level applies when no --log-level flag is given', async (t) => {
    const sb = sandbox(t);
    const w = await sb.start(undefined, { logLevel: null, args: ['--config', writeConf(sb, ['log.console.level = debug'])] });
    assert.match(w.output(100_000), /"level":20/, 'debug lines (pino level 20) are logged');
    await w.stop();
  });

  test('command-line flags override the file; the rest of the file still applies', async (t) => {
    const sb = sandbox(t);
    const filePort = await freePort();
    const conf = writeConf(sb, [`listeners.tcp.default = 127.0.0.1:${filePort}`, 'log.console.level = debug', 'heartbeat = 9']);
    // the sandbox passes --port 0 --host 127.0.0.1 --log-level info
    const w = await sb.start(undefined, { args: ['--config', conf] });
    assert.notEqual(w.port, filePort, '--port 0 wins over listeners.tcp.default');
    assert.equal(await accepting(filePort), false, `nothing listens on the file's port ${filePort}`);
    assert.doesNotMatch(w.output(100_000), /"level":20/, '--log-level info wins over log.console.level = debug');
    const c = await openConnection('127.0.0.1', w.port);
    try {
      assert.equal(c.hs.tune.heartbeat, 9, 'heartbeat from the file still applies');
    } finally {
      c.destroy();
    }
    await w.stop();
  });

  test('WARREN_CONFIG_FILE names the file when there is no --config flag', async (t) => {
    const sb = sandbox(t);
    const conf = writeConf(sb, ['heartbeat = 11']);
    const w = await sb.start(undefined, { env: { ...process.env, WARREN_CONFIG_FILE: conf } });
    const c = await openConnection('127.0.0.1', w.port);
    try {
      assert.equal(c.hs.tune.heartbeat, 11);
    } finally {
      c.destroy();
    }
    await w.stop();
  });

  test('an unknown key: a one-line error naming the file, line and key (with a suggestion), exit 78, nothing started', async (t) => {
    const sb = sandbox(t);
    const conf = writeConf(sb, ['# typo below', 'heartbeat = 30', 'heartbeet = 30']);
    const r = await runWarrenToExit(['--config', conf, '--data-dir', sb.tempDir(), '--port', '0']);
    assert.equal(r.code, EX_CONFIG, `exit code\n${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr:\n${r.stderr}`);
    assert.equal(lines[0], `Error: ${conf}:3: unknown setting 'heartbeet': there is no setting with that name (did you mean 'heartbeat'?)`);
    assert.doesNotMatch(r.stdout, /listener started/, 'the broker did not start');
  });

  test('bad values and syntax errors: one line naming the key and line, exit 78', async (t) => {
    const sb = sandbox(t);
    const cases: Array<[string, RegExp]> = [
      ['heartbeat = soon', /:2: heartbeat = soon: not an integer$/],
      ['listeners.tcp.default = localhost:5672', /:2: listeners\.tcp\.default = localhost:5672: 'localhost' is not an IP address$/],
      ['ssl_options.verify = verify_maybe', /:2: ssl_options\.verify = verify_maybe: must be one of verify_peer, verify_none$/],
      ['vm_memory_high_watermark_paging_ratio = 1.5', /:2: vm_memory_high_watermark_paging_ratio = 1\.5: Float is not between 0 and 1$/],
      ['disk_free_limit.absolute = 50 parsecs', /:2: disk_free_limit\.absolute = 50 parsecs: not an amount of bytes/],
      ['ssl_options.certfile = /nonexistent/cert.pem', /:2: ssl_options\.certfile = \/nonexistent\/cert\.pem: file does not exist or cannot be read$/],
      ['listeners.ssl.default = 5671', /:2: listeners\.ssl\.default = 5671: a TLS listener needs ssl_options\.certfile and ssl_options\.keyfile$/],
      ['loopback_users.guest = maybe', /:2: loopback_users\.guest = maybe: must be true or false$/],
      ['this is not a setting', /:2: syntax error: expected '=' after 'this'$/],
    ];
    for (const [line, expected] of cases) {
      const conf = writeConf(sb, ['heartbeat = 60', line]);
      const r = await runWarrenToExit(['--config', conf, '--data-dir', sb.tempDir(), '--port', '0']);
      assert.equal(r.code, EX_CONFIG, `'${line}': exit code\n${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `'${line}': one line on stderr:\n${r.stderr}`);
      assert.ok(lines[0].startsWith(`Error: ${conf}:`), `'${line}': the error names the file: ${lines[0]}`);
      assert.match(lines[0], expected, `'${line}'`);
    }
  });

  test('settings RabbitMQ knows but Warren does not apply: a warning naming key and line, and the broker runs', async (t) => {
    const sb = sandbox(t);
    const conf = writeConf(sb, ['cluster_name = rabbit@prod', 'mqtt.listeners.tcp.default = 1883', 'heartbeat = 5']);
    const w = await sb.start(undefined, { args: ['--config', conf] });
    const out = w.output(100_000);
    assert.match(out, /"level":40,[^\n]*rabbitmq\.conf:1: cluster_name: recognised RabbitMQ setting that Warren does not apply \(Warren is a single node, not a cluster\); ignored/);
    assert.match(out, /"level":40,[^\n]*rabbitmq\.conf:2: mqtt\.listeners\.tcp\.default: setting of the RabbitMQ plugin rabbitmq_mqtt, which Warren does not include; ignored/);
    const c = await openConnection('127.0.0.1', w.port);
    try {
      assert.equal(c.hs.tune.heartbeat, 5, 'the applicable setting next to them applies');
    } finally {
      c.destroy();
    }
    await w.stop();
  });

  test('load_definitions: imported on first boot instead of the default user, and again at every boot', async (t) => {
    const sb = sandbox(t);
    const defsPath = join(sb.tempDir('warren-defs-'), 'definitions.json');
    const vhost = 'config-defs';
    writeFileSync(
      defsPath,
      JSON.stringify({
        users: [{ name: 'loader', password_hash: passwordHash('loaderpass'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'administrator', limits: {} }],
        vhosts: [{ name: vhost }],
        permissions: [{ user: 'loader', vhost, configure: '.*', write: '.*', read: '.*' }],
        exchanges: [{ name: 'defs-x', vhost, type: 'direct', durable: true, auto_delete: false, internal: false, arguments: {} }],
        queues: [{ name: 'defs-q', vhost, durable: true, auto_delete: false, arguments: {} }],
        bindings: [{ source: 'defs-x', vhost, destination: 'defs-q', destination_type: 'queue', routing_key: 'k', arguments: {} }],
      }),
    );
    const conf = writeConf(sb, [`load_definitions = ${defsPath}`]);
    const w = await sb.start(undefined, { args: ['--config', conf] });
    const url = `amqp://loader:loaderpass@127.0.0.1:${w.port}/${vhost}`;
    let conn = await connect(url);
    const ch = await openConfirmChannel(conn);
    ch.publish('defs-x', 'k', Buffer.from('routed by an imported binding'));
    await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'publish confirm');
    const got = await ch.get('defs-q', { noAck: true });
    assert.ok(got !== false, 'the imported binding routed the message to the imported queue');
    await ch.deleteQueue('defs-q');
    await closeQuietly(conn);
    await assert.rejects(withTimeout(amqp.connect(w.url), TIMEOUT_MS, 'guest login'), /ACCESS_REFUSED/, 'no guest user when definitions are loaded at first boot');

    const again = await w.restart('graceful');
    conn = await connect(`amqp://loader:loaderpass@127.0.0.1:${again.port}/${vhost}`);
    const ok = await (await openChannel(conn)).checkQueue('defs-q');
    assert.equal(ok.queue, 'defs-q', 'the deleted queue is back: the file is imported at every boot');
    await closeQuietly(conn);
    await again.stop();
  });

  test('loopback_users.guest = false lets guest in over a non-loopback address; = true refuses it', async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!external) {
      t.skip('this machine has no non-loopback IPv4 address');
      return;
    }
    const sb = sandbox(t);
    for (const [setting, allowed] of [
      ['false', true],
      ['true', false],
    ] as const) {
      const port = await freePort();
      // no IP: the listener takes every interface, the external one too
      const conf = writeConf(sb, [`listeners.tcp.default = ${port}`, `loopback_users.guest = ${setting}`]);
      const w = await sb.start(undefined, { listenerFlags: false, args: ['--config', conf] });
      const attempt = withTimeout(amqp.connect(`amqp://guest:guest@${external}:${port}/%2F`), TIMEOUT_MS, `guest login over ${external}`);
      if (allowed) await (await attempt).close();
      else await assert.rejects(attempt, /ACCESS_REFUSED/, `loopback_users.guest = ${setting}: guest refused over ${external}`);
      await w.stop();
    }
  });
});
