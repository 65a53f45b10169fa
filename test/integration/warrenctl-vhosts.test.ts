// warrenctl's vhost and permission commands against an in-process Warren: exact output and exit
// codes as rabbitmqctl 3.10 prints them, and the effect on the broker.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { ctlSkip, expectRun, show, useCtlBroker } from './warrenctl-helpers.js';

describe('warrenctl: vhosts and permissions', { skip: ctlSkip() }, () => {
  const b = useCtlBroker({
    setup: async () => {
      for (const u of ['perm-user', 'other-user']) {
        const r = await b.ctl(['-q', 'add_user', u, 'pw']);
        assert.equal(r.code, 0, show(r));
      }
    },
  });
  const { ctl } = b;

  test('add_vhost creates a vhost; list_vhosts lists it', async () => {
    expectRun(await ctl(['add_vhost', 'team-a']), 0, 'Adding vhost "team-a" ...\n');
    assert.ok(b.broker.warren?.vhosts.has('team-a'), 'team-a exists');
    expectRun(await ctl(['list_vhosts']), 0, 'Listing vhosts ...\nname\n/\nteam-a\n');
    expectRun(await ctl(['-q', 'list_vhosts', 'name']), 0, 'name\n/\nteam-a\n');
    // adding one that exists succeeds, as in rabbitmqctl
    expectRun(await ctl(['add_vhost', 'team-a']), 0, 'Adding vhost "team-a" ...\n');
  });

  test('add_vhost with a description and tags', async () => {
    expectRun(await ctl(['add_vhost', 'described', '--description', 'for tests', '--tags', 'qa,blue']), 0, 'Adding vhost "described" ...\n');
    const r = await ctl(['-q', 'list_vhosts', 'name', 'description', 'tags', 'tracing', 'cluster_state']);
    assert.equal(r.code, 0, show(r));
    const node = `warren@${hostname().split('.')[0]}`;
    assert.ok(r.stdout.split('\n').includes(`described\tfor tests\t[qa, blue]\tfalse\t[{${node}, running}]`), show(r));
    const json = await ctl(['list_vhosts', 'name', 'cluster_state', '--formatter', 'json']);
    assert.ok(json.stdout.split('\n').includes(`,{"name":"described","cluster_state":{"${node}":"running"}}`), show(json));
    expectRun(await ctl(['-q', 'delete_vhost', 'described']), 0, '');
  });

  test('list_vhosts rejects an unknown column with exit 64', async () => {
    const r = await ctl(['list_vhosts', 'name', 'colour']);
    assert.equal(r.code, 64, show(r));
    assert.match(r.stderr, /^Error \(argument validation\): Info key\(s\) colour are not supported\n/, show(r));
  });

  test('set_permissions -p grants; list_permissions and list_user_permissions show it', async () => {
    expectRun(
      await ctl(['set_permissions', '-p', 'team-a', 'perm-user', '^perm-.*', '.*', '']),
      0,
      'Setting permissions for user "perm-user" in vhost "team-a" ...\n',
    );
    assert.deepEqual(
      b.broker.warren?.users.users.get('perm-user')?.permissions.get('team-a'),
      { configure: '^perm-.*', write: '.*', read: '' },
      'permissions stored',
    );
    expectRun(
      await ctl(['list_permissions', '-p', 'team-a']),
      0,
      'Listing permissions for vhost "team-a" ...\nuser\tconfigure\twrite\tread\nperm-user\t^perm-.*\t.*\t\n',
    );
    expectRun(
      await ctl(['list_user_permissions', 'perm-user']),
      0,
      'Listing permissions for user "perm-user" ...\nvhost\tconfigure\twrite\tread\nteam-a\t^perm-.*\t.*\t\n',
    );
  });

  test('set_permissions without -p applies to "/"; list_permissions defaults to "/"', async () => {
    expectRun(await ctl(['set_permissions', 'other-user', '.*', '.*', '.*']), 0, 'Setting permissions for user "other-user" in vhost "/" ...\n');
    expectRun(
      await ctl(['list_permissions']),
      0,
      'Listing permissions for vhost "/" ...\nuser\tconfigure\twrite\tread\nguest\t.*\t.*\t.*\nother-user\t.*\t.*\t.*\n',
    );
  });

  test('set_permissions for an unknown user (67) or vhost (69), as rabbitmqctl words them', async () => {
    expectRun(
      await ctl(['set_permissions', 'ghost', '.*', '.*', '.*']),
      67,
      'Setting permissions for user "ghost" in vhost "/" ...\n',
      'Error:\nUser ghost does not exist\n',
    );
    expectRun(
      await ctl(['set_permissions', '-p', 'nowhere', 'perm-user', '.*', '.*', '.*']),
      69,
      'Setting permissions for user "perm-user" in vhost "nowhere" ...\n',
      'Error:\nVirtual host nowhere does not exist\n',
    );
    expectRun(await ctl(['clear_permissions', 'ghost']), 67, 'Clearing permissions for user "ghost" in vhost "/" ...\n', 'Error:\nUser ghost does not exist\n');
    expectRun(
      await ctl(['list_permissions', '-p', 'nowhere']),
      65,
      'Listing permissions for vhost "nowhere" ...\n',
      "Virtual host 'nowhere' does not exist\n",
    );
    expectRun(await ctl(['list_user_permissions', 'ghost']), 69, 'Listing permissions for user "ghost" ...\n', 'Error:\n{:no_such_user, "ghost"}\n');
    const r = await ctl(['set_permissions', 'perm-user', '.*', '.*']);
    assert.equal(r.code, 64, show(r));
  });

  test('clear_permissions revokes', async () => {
    expectRun(await ctl(['clear_permissions', '-p', 'team-a', 'perm-user']), 0, 'Clearing permissions for user "perm-user" in vhost "team-a" ...\n');
    assert.equal(b.broker.warren?.users.users.get('perm-user')?.permissions.has('team-a'), false, 'revoked');
    // an empty list prints an empty line ("[]" in JSON), as rabbitmqctl does
    expectRun(await ctl(['list_permissions', '-p', 'team-a']), 0, 'Listing permissions for vhost "team-a" ...\n\n');
    expectRun(await ctl(['list_user_permissions', 'perm-user']), 0, 'Listing permissions for user "perm-user" ...\n\n');
    expectRun(await ctl(['list_permissions', '-p', 'team-a', '--formatter', 'json']), 0, '[]\n');
    // clearing permissions that are not there is no error
    expectRun(await ctl(['-q', 'clear_permissions', '-p', 'team-a', 'perm-user']), 0, '');
  });

  test('delete_vhost removes it; deleting it again fails with exit 65', async () => {
    await ctl(['-q', 'add_vhost', 'short-lived']);
    expectRun(await ctl(['delete_vhost', 'short-lived']), 0, 'Deleting vhost "short-lived" ...\n');
    assert.equal(b.broker.warren?.vhosts.has('short-lived'), false, 'gone');
    expectRun(await ctl(['delete_vhost', 'short-lived']), 65, 'Deleting vhost "short-lived" ...\n', "Virtual host 'short-lived' does not exist\n");
  });

  test('--formatter json lists permissions as a JSON array', async () => {
    const r = await ctl(['list_user_permissions', 'guest', '--formatter', 'json']);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout), [{ vhost: '/', configure: '.*', write: '.*', read: '.*' }], show(r));
  });
});
