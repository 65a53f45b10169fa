// warrenctl's user commands against an in-process Warren, through the Unix socket of its data
// dir: exact stdout, stderr and exit code as rabbitmqctl 3.10 prints them (checked against the
// reference RabbitMQ), and the effect on the broker.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { ctlSkip, expectRun, show, useCtlBroker } from './warrenctl-helpers.js';

const DONT_FORGET =
  "Done. Don't forget to grant the user permissions to some virtual hosts! See 'rabbitmqctl help set_permissions' to learn more.";

describe('warrenctl: users', { skip: ctlSkip() }, () => {
  const b = useCtlBroker();
  const { ctl } = b;

  const user = (name: string) => b.broker.warren?.users.users.get(name);

  test('add_user creates a user without tags or permissions', async () => {
    expectRun(await ctl(['add_user', 'ann', 'pw-1']), 0, `Adding user "ann" ...\n${DONT_FORGET}\n`);
    const u = user('ann');
    assert.ok(u !== undefined, 'ann exists');
    assert.deepEqual(u.tags, [], 'no tags');
    assert.equal(u.permissions.size, 0, 'no permissions');
    expectRun(await ctl(['authenticate_user', 'ann', 'pw-1']), 0, 'Authenticating user "ann" ...\nSuccess\n');
  });

  test('add_user of an existing user fails with exit 70', async () => {
    expectRun(await ctl(['add_user', 'guest', 'x']), 70, 'Adding user "guest" ...\n', 'Error:\nUser "guest" already exists\n');
  });

  test('add_user reads the password from stdin when only the name is given', async () => {
    // rabbitmqctl prompts on stdout even when stdin is not a terminal
    expectRun(await ctl(['add_user', 'stdin-user'], { stdin: 'from-stdin\nignored\n' }), 0, `Adding user "stdin-user" ...\nPassword: \n${DONT_FORGET}\n`);
    expectRun(await ctl(['-q', 'authenticate_user', 'stdin-user', 'from-stdin']), 0, '');
    expectRun(await ctl(['-q', 'add_user', 'no-password']), 65, '', 'Error:\nPassword is not provided via argument or stdin\n');
  });

  test('add_user with a wrong number of arguments is a usage error (64)', async () => {
    const r = await ctl(['add_user']);
    assert.equal(r.code, 64, show(r));
    assert.equal(r.stdout, '', show(r));
    assert.match(r.stderr, /^Error \(argument validation\): not enough arguments\.\n/, show(r));
    assert.ok(
      r.stderr.endsWith('\nArguments given:\n\t--data-dir ' + (b.broker.dataDir ?? '') + ' add_user\n\nUsage\n\nwarrenctl [--data-dir <dir> | --url <url>] [--node <node>] [--longnames] [--quiet] add_user <username> <password>\n'),
      `arguments and usage follow: ${show(r)}`,
    );
    const r2 = await ctl(['add_user', 'a', 'b', 'c']);
    assert.equal(r2.code, 64, show(r2));
    assert.match(r2.stderr, /too many arguments/, show(r2));
    assert.equal(user('a'), undefined, 'nothing was created');
    const empty = await ctl(['add_user', '', 'pw']);
    assert.equal(empty.code, 65, show(empty));
    assert.match(empty.stderr, /^Error \(argument validation\): Bad argument: user cannot be an empty string\n/, show(empty));
  });

  test('-q drops the banner and the reminder', async () => {
    expectRun(await ctl(['-q', 'add_user', 'quiet-user', 'pw']), 0, '');
    assert.ok(user('quiet-user') !== undefined, 'quiet-user exists');
  });

  test('set_user_tags sets and replaces tags, and keeps the password', async () => {
    await ctl(['-q', 'add_user', 'tagged', 'keep-me']);
    expectRun(
      await ctl(['set_user_tags', 'tagged', 'administrator', 'management']),
      0,
      'Setting tags for user "tagged" to [administrator, management] ...\n',
    );
    assert.deepEqual(user('tagged')?.tags, ['administrator', 'management'], 'tags stored');
    // the seeds' misspelt tag is accepted like any other (it grants nothing)
    expectRun(await ctl(['set_user_tags', 'tagged', 'adminstarator']), 0, 'Setting tags for user "tagged" to [adminstarator] ...\n');
    expectRun(await ctl(['authenticate_user', 'tagged', 'keep-me']), 0, 'Authenticating user "tagged" ...\nSuccess\n');
    expectRun(await ctl(['set_user_tags', 'tagged']), 0, 'Setting tags for user "tagged" to [] ...\n');
    assert.deepEqual(user('tagged')?.tags, [], 'tags cleared');
  });

  test('set_user_tags of an unknown user fails with exit 67', async () => {
    expectRun(
      await ctl(['set_user_tags', 'nobody', 'administrator']),
      67,
      'Setting tags for user "nobody" to [administrator] ...\n',
      'Error:\nUser "nobody" does not exist\n',
    );
  });

  test('change_password: the new password works, the old one no longer does', async () => {
    await ctl(['-q', 'add_user', 'changer', 'old-pw']);
    expectRun(await ctl(['change_password', 'changer', 'new-pw']), 0, 'Changing password for user "changer" ...\n');
    expectRun(await ctl(['authenticate_user', 'changer', 'new-pw']), 0, 'Authenticating user "changer" ...\nSuccess\n');
    expectRun(
      await ctl(['authenticate_user', 'changer', 'old-pw']),
      65,
      'Authenticating user "changer" ...\n',
      'Error:\nError: failed to authenticate user "changer"\nuser \'changer\' - invalid credentials\n',
    );
    expectRun(await ctl(['change_password', 'nobody', 'x']), 67, 'Changing password for user "nobody" ...\n', 'Error:\nUser "nobody" does not exist\n');
  });

  test('clear_password disables password login', async () => {
    await ctl(['-q', 'add_user', 'clearme', 'pw']);
    expectRun(await ctl(['clear_password', 'clearme']), 0, 'Clearing password for user "clearme" ...\n');
    const r = await ctl(['authenticate_user', 'clearme', 'pw']);
    assert.equal(r.code, 65, show(r));
    // rabbitmqctl prints the raw error term here, with exit 69
    expectRun(await ctl(['clear_password', 'nobody']), 69, 'Clearing password for user "nobody" ...\n', 'Error:\n{:no_such_user, "nobody"}\n');
  });

  test('delete_user removes the user; deleting it again fails with exit 67', async () => {
    await ctl(['-q', 'add_user', 'doomed', 'pw']);
    expectRun(await ctl(['delete_user', 'doomed']), 0, 'Deleting user "doomed" ...\n');
    assert.equal(user('doomed'), undefined, 'doomed is gone');
    expectRun(await ctl(['delete_user', 'doomed']), 67, 'Deleting user "doomed" ...\n', 'Error:\nUser "doomed" does not exist\n');
  });

  test('list_users: table, -q, --silent, --no-table-headers and --formatter json', async () => {
    await ctl(['-q', 'add_user', 'zed', 'pw']);
    await ctl(['-q', 'set_user_tags', 'zed', 'monitoring', 'policymaker']);
    const r = await ctl(['list_users']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'Listing users ...', show(r));
    assert.equal(lines[1], 'user\ttags', show(r));
    assert.ok(lines.includes('guest\t[administrator]'), `guest listed: ${show(r)}`);
    assert.ok(lines.includes('zed\t[monitoring, policymaker]'), `zed listed: ${show(r)}`);
    assert.ok(lines.includes('ann\t[]'), `ann listed without tags: ${show(r)}`);
    assert.equal(lines.at(-1), '', `ends with a newline: ${show(r)}`);

    const quiet = await ctl(['-q', 'list_users']);
    assert.equal(quiet.stdout, r.stdout.slice('Listing users ...\n'.length), show(quiet));
    const silent = await ctl(['--silent', 'list_users']);
    assert.equal(silent.stdout, r.stdout.slice('Listing users ...\nuser\ttags\n'.length), show(silent));
    const noHeaders = await ctl(['list_users', '--no-table-headers']);
    assert.equal(noHeaders.stdout, `Listing users ...\n${silent.stdout}`, show(noHeaders));

    const json = await ctl(['list_users', '--formatter', 'json']);
    assert.equal(json.code, 0, show(json));
    const jl = json.stdout.split('\n');
    assert.equal(jl[0], '[', show(json));
    assert.equal(jl.at(-2), ']', show(json));
    assert.ok(
      jl.slice(2, -2).every((l) => l.startsWith(',')),
      `elements after the first start with a comma: ${show(json)}`,
    );
    const parsed = JSON.parse(json.stdout) as { user: string; tags: string[] }[];
    assert.ok(parsed.length >= 3, show(json));
    assert.deepEqual(
      parsed.find((u) => u.user === 'zed'),
      { user: 'zed', tags: ['monitoring', 'policymaker'] },
      show(json),
    );
  });

  test('--formatter json: single results as rabbitmqctl prints them', async () => {
    const node = `warren@${hostname().split('.')[0]}`;
    expectRun(
      await ctl(['add_user', 'json-user', 'pw', '--formatter', 'json']),
      0,
      `${JSON.stringify({ message: DONT_FORGET, node, status: 'ok' })}\n`,
    );
    expectRun(await ctl(['set_user_tags', 'json-user', 'management', '--formatter', 'json']), 0, `{"node":"${node}","result":"ok"}\n`);
    expectRun(await ctl(['authenticate_user', 'json-user', 'pw', '--formatter', 'json']), 0, '{"message":"Success"}\n');
  });
});
