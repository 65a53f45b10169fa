// warrenctl's node commands (status, stop_app, start_app, reset, stop, await_startup), the
// definitions commands, help, and its mistakes: exit codes and messages as rabbitmqctl's.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import amqp from 'amqplib';
import { hashPassword } from '../../src/auth/users.js';
import { ctlSkip, expectRun, show, useCtlBroker, warrenctl } from './warrenctl-helpers.js';

/** Whether something accepts TCP connections on the port. */
function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('warrenctl: node commands', { skip: ctlSkip() }, () => {
  let node: string;
  let scratch: string;

  const b = useCtlBroker({
    setup: async () => {
      scratch = await mkdtemp(join(tmpdir(), 'warrenctl-test-'));
      const r = await b.ctl(['status', '--formatter', 'json']);
      assert.equal(r.code, 0, show(r));
      node = (JSON.parse(r.stdout) as { node_name: string }).node_name;
    },
    teardown: () => rm(scratch, { recursive: true, force: true }),
  });
  const { ctl } = b;

  test('status reports the runtime, totals and listeners', async () => {
    const r = await ctl(['status']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `Status of node ${node} ...`, show(r));
    assert.equal(lines[1], 'Runtime', show(r));
    assert.ok(lines.includes(`OS PID: ${process.pid}`), show(r));
    assert.ok(lines.includes(`Node name: ${node}`), show(r));
    assert.ok(lines.includes('Alarms'), show(r));
    assert.ok(lines.includes('Queue count: 0'), show(r));
    assert.ok(
      lines.some((l) => l.startsWith(`Interface: `) && l.includes(`port: ${b.broker.port}, protocol: amqp`)),
      show(r),
    );
    const json = JSON.parse((await ctl(['status', '--formatter', 'json'])).stdout) as Record<string, unknown>;
    assert.equal(json.pid, process.pid, 'json pid');
    assert.equal(json.node_name, node, 'json node_name');
    assert.deepEqual(json.alarms, [], 'json alarms');
  });

  test('reset refuses while the app runs; stop_app, reset, start_app clear everything (the seeds recipe)', async () => {
    const setup = await amqp.connect(b.broker.url);
    const ch = await setup.createChannel();
    await ch.assertQueue('will-be-reset', { durable: true });
    ch.sendToQueue('will-be-reset', Buffer.from('x'));
    await ch.checkQueue('will-be-reset');
    await setup.close();
    await ctl(['-q', 'add_user', 'reset-victim', 'pw']);

    const early = await ctl(['reset']);
    assert.equal(early.code, 64, show(early));
    assert.equal(early.stdout, '', show(early));
    assert.match(
      early.stderr,
      /^Error: this command requires the 'rabbit' app to be stopped on the target node\. Stop it with 'rabbitmqctl stop_app'\.\nArguments given:\n\t.* reset\n\nUsage\n\n.* reset\n$/,
      show(early),
    );
    assert.ok(b.broker.warren?.users.users.has('reset-victim'), 'nothing was reset');

    const client = await amqp.connect(b.broker.url);
    const forced = new Promise<Error | undefined>((resolve) => client.on('close', (err?: Error) => resolve(err)));
    client.on('error', () => {});
    expectRun(await ctl(['stop_app']), 0, `Stopping rabbit application on node ${node} ...\n`);
    assert.match(String((await forced)?.message), /320/, 'clients are closed with 320');
    assert.equal(await tcpOpen(b.broker.port), false, 'the AMQP port is closed');
    assert.equal(b.broker.warren?.appRunning, false, 'app stopped');

    const refused = await ctl(['list_queues']);
    assert.equal(refused.code, 64, show(refused));
    assert.equal(refused.stdout, '', show(refused));
    assert.match(refused.stderr, /^Error: this command requires the 'rabbit' app to be running on the target node\. Start it with 'rabbitmqctl start_app'\.\n/, show(refused));

    expectRun(await ctl(['reset']), 0, `Resetting node ${node} ...\n`);
    expectRun(await ctl(['start_app']), 0, `Starting node ${node} ...\n`);
    assert.equal(await tcpOpen(b.broker.port), true, 'the AMQP port is open again');
    expectRun(await ctl(['-q', 'list_queues']), 0, '');
    expectRun(await ctl(['-q', 'list_users']), 0, 'user\ttags\nguest\t[administrator]\n');
    expectRun(await ctl(['-q', 'list_vhosts']), 0, 'name\n/\n');
  });

  test('await_startup returns at once for a running broker, and gives up (69) when none answers', async () => {
    expectRun(await ctl(['await_startup']), 0, '');
    const nowhere = join(scratch, 'no-broker-here');
    const started = Date.now();
    const r = await warrenctl(['--data-dir', nowhere, 'await_startup', '--timeout', '1']);
    assert.equal(r.code, 69, show(r));
    assert.ok(Date.now() - started >= 900, 'it waited for the timeout');
    assert.match(r.stderr, /^Error: unable to connect to the broker's socket .*no-broker-here\/warren\.sock/, show(r));
  });

  test('a command without a broker exits 69 with a one-line reason', async () => {
    const r = await warrenctl(['--data-dir', join(scratch, 'nothing'), 'list_users']);
    assert.equal(r.code, 69, show(r));
    assert.equal(r.stdout, '', show(r));
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${show(r)}`);
  });

  test('export_definitions to a file and to stdout; import_definitions from a file', async () => {
    await ctl(['-q', 'add_vhost', 'exported-vhost']);
    const file = join(scratch, 'defs.json');
    expectRun(await ctl(['export_definitions', file]), 0, `Exporting definitions in JSON to a file at "${file}" ...\n`);
    const defs = JSON.parse(await readFile(file, 'utf8')) as { users: { name: string }[]; vhosts: { name: string }[] };
    assert.ok(defs.vhosts.some((v) => v.name === 'exported-vhost'), 'vhost exported');
    assert.ok(defs.users.some((u) => u.name === 'guest'), 'guest exported');

    const out = await ctl(['export_definitions', '-']);
    assert.equal(out.code, 0, show(out));
    assert.ok(out.stdout.startsWith('{') && out.stdout.endsWith('}'), `the JSON alone, without a newline, as rabbitmqctl: ${show(out)}`);
    assert.ok((JSON.parse(out.stdout) as { vhosts: { name: string }[] }).vhosts.some((v) => v.name === 'exported-vhost'), show(out));

    const toImport = join(scratch, 'import.json');
    await writeFile(
      toImport,
      JSON.stringify({
        users: [{ name: 'imported', password_hash: hashPassword('imported-pw'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['management'] }],
        vhosts: [{ name: 'imported-vhost' }],
        permissions: [{ user: 'imported', vhost: 'imported-vhost', configure: '.*', write: '.*', read: '.*' }],
      }),
    );
    expectRun(
      await ctl(['import_definitions', toImport]),
      0,
      `Importing definitions in JSON from a file at "${toImport}" ...\nSuccessfully started definition import. This process is asynchronous and can take some time.\n`,
    );
    expectRun(await ctl(['-q', 'list_user_permissions', 'imported']), 0, 'vhost\tconfigure\twrite\tread\nimported-vhost\t.*\t.*\t.*\n');
    expectRun(await ctl(['-q', 'authenticate_user', 'imported', 'imported-pw']), 0, '');

    const missing = await ctl(['import_definitions', join(scratch, 'missing.json')]);
    assert.equal(missing.code, 65, show(missing));
    assert.match(missing.stderr, /^Error \(argument validation\): Bad argument: File .*missing\.json does not exist\n/, show(missing));
    const badDir = await ctl(['export_definitions', join(scratch, 'no', 'such', 'dir.json')]);
    assert.equal(badDir.code, 65, show(badDir));
    assert.match(badDir.stderr, /^Error \(argument validation\): Bad argument: Directory .*no\/such does not exist\n/, show(badDir));
    const empty = join(scratch, 'empty.json');
    await writeFile(empty, '');
    expectRun(await ctl(['import_definitions', empty]), 65, `Importing definitions in JSON from a file at "${empty}" ...\n`, `Error:\nFile ${empty} is zero-sized\n`);
    expectRun(await ctl(['import_definitions', toImport, '--formatter', 'json']), 0, `{"node":"${node}","result":"ok"}`);
    expectRun(await ctl(['-q', 'import_definitions'], { stdin: JSON.stringify({ vhosts: [{ name: 'from-stdin' }] }) }), 0, '');
    assert.ok(b.broker.warren?.vhosts.has('from-stdin'), 'imported from stdin');
  });

  test('help, help <command> and <command> --help', async () => {
    const h = await warrenctl(['help']);
    assert.equal(h.code, 0, show(h));
    for (const name of ['add_user', 'set_permissions', 'list_queues', 'stop_app', 'reset', 'export_definitions', 'await_startup']) {
      assert.ok(h.stdout.includes(`   ${name} `), `${name} listed in help: ${show(h)}`);
    }
    const one = await warrenctl(['help', 'set_permissions']);
    assert.equal(one.code, 0, show(one));
    assert.match(one.stdout, /set_permissions \[--vhost <vhost>\] <username> <conf> <write> <read>/, show(one));
    const flag = await warrenctl(['list_queues', '--help']);
    assert.equal(flag.code, 0, show(flag));
    assert.match(flag.stdout, /list_queues/, show(flag));
    const none = await warrenctl([]);
    assert.equal(none.code, 64, show(none));
    assert.equal(none.stdout, '', show(none));
    assert.match(none.stderr, /Available commands:/, show(none));
    const missing = await warrenctl(['help', 'nosuch']);
    assert.equal(missing.code, 64, show(missing));
  });

  test('an unknown command or option is a usage error (64)', async () => {
    expectRun(await ctl(['ad_user', 'x', 'y']), 64, '', "\nCommand 'ad_user' not found. \nDid you mean 'add_user'? \n\n");
    const o = await ctl(['list_users', '--colour']);
    assert.equal(o.code, 64, show(o));
    assert.match(o.stderr, /^Error \(argument validation\): Invalid options for this command:\n--colour : \nArguments given:\n/, show(o));
    const wrong = await ctl(['list_users', '--if-empty']);
    assert.equal(wrong.code, 64, show(wrong));
    assert.match(wrong.stderr, /^Error \(argument validation\): Invalid options for this command:\n--if-empty : \n/, show(wrong));
    const extra = await ctl(['list_users', 'extra']);
    assert.equal(extra.code, 64, show(extra));
    assert.match(extra.stderr, /^Error \(argument validation\): too many arguments\.\n/, show(extra));
  });

  // last: it stops the broker
  test('stop stops the broker and waits until it is gone; stop --idempotent then succeeds', async () => {
    // keep hold of the broker's own stop, so the data dir is removed only after it finished
    const warren = b.broker.warren;
    assert.ok(warren !== undefined, 'in-process broker');
    const stopping: { done?: Promise<void> } = {};
    warren.requestStop = () => {
      stopping.done = warren.stop('stop requested');
    };
    expectRun(await ctl(['stop']), 0, `Stopping and halting node ${node} ...\n`);
    assert.ok(stopping.done !== undefined, 'the broker was asked to stop');
    await stopping.done;
    assert.equal(await tcpOpen(b.broker.port), false, 'AMQP port closed');
    assert.equal(existsSync(join(b.broker.dataDir ?? '', 'warren.sock')), false, 'socket removed');
    const again = await ctl(['stop']);
    assert.equal(again.code, 69, show(again));
    assert.equal(again.stdout, `Stopping and halting node ${node} ...\n`, show(again));
    expectRun(await ctl(['stop', '--idempotent']), 0, `Stopping and halting node ${node} ...\nNode ${node} is no longer running\n`);
  });
});
