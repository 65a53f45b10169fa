// Access control with the real Python client (python3-pika 1.2): the permission matrix, and the
// seeds' PlainCredentials example with a user created through the admin interface (broker.admin
// on Warren, the management API on RabbitMQ). Users and vhosts are made here and handed to the
// scripts through the environment; see test/integration/pika/access_*.py.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { describeResult, pikaProblem, runPikaScript, SCRIPT_TIMEOUT_MS } from '../helpers/pika.js';
import { type AccessAdmin, accessAdmin, adminProblem, amqpUrl, partName } from './access-admin.js';

let broker: TestBroker;
let admin: AccessAdmin;
let skip: string | null = null;

before(async () => {
  const problem = pikaProblem();
  if (problem) {
    if (process.env.CI) throw new Error(`python3-pika is required under CI: ${problem}`);
    skip = `python3-pika not installed: ${problem}`;
    return;
  }
  broker = await startBroker();
  skip = adminProblem(broker);
  if (!skip) admin = accessAdmin(broker);
});

after(async () => {
  await admin?.cleanup();
  await broker?.stop();
});

async function run(script: string, env: Record<string, string>): Promise<void> {
  const result = await runPikaScript(script, env);
  const report = describeResult(script, result);
  assert.equal(result.code, 0, report);
  assert.match(result.stdout, /^OK: /m, report);
}

describe('access control with pika', () => {
  test('access_matrix.py - every checked operation allowed and refused, with RabbitMQ texts', { timeout: SCRIPT_TIMEOUT_MS + 10_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const vhost = partName('pika-matrix');
    await admin.addVhost(vhost);
    const owner = partName('pika-owner');
    const user = partName('pika-user');
    await admin.addUser(owner, 'owner-secret');
    await admin.setPermissions(owner, vhost, '.*', '.*', '.*');
    await admin.addUser(user, 'user-secret');
    await admin.setPermissions(user, vhost, '^ok-', '^ok-', '^ok-');
    const userUrl = amqpUrl(broker, user, 'user-secret', vhost);
    await run('access_matrix.py', {
      AMQP_URL: userUrl,
      USER_URL: userUrl,
      OWNER_URL: amqpUrl(broker, owner, 'owner-secret', vhost),
      ACCESS_VHOST: vhost,
      ACCESS_USER: user,
    });
  });

  test('access_credentials.py - PlainCredentials with a user made by the administrator', { timeout: SCRIPT_TIMEOUT_MS + 10_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const vhost = partName('pika-cred');
    const other = partName('pika-other');
    await admin.addVhost(vhost);
    await admin.addVhost(other);
    const user = partName('pika-admin');
    await admin.addUser(user, 'admin-secret', ['administrator']);
    await admin.setPermissions(user, vhost, '.*', '.*', '.*');
    await run('access_credentials.py', {
      AMQP_URL: amqpUrl(broker, user, 'admin-secret', vhost),
      AMQP_HOST: broker.host,
      AMQP_PORT: String(broker.port),
      ACCESS_VHOST: vhost,
      ACCESS_USER: user,
      ACCESS_PASSWORD: 'admin-secret',
      OTHER_VHOST: other,
    });
  });
});
