// The seeds' administration recipe end to end: a user made with warrenctl add_user +
// set_user_tags + set_permissions -p / ".*" ".*" ".*" logs in with pika.PlainCredentials
// (Debian's pika 1.2 via /usr/bin/python3) and publishes and consumes; change_password and
// delete_user then take effect for new logins.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { PYTHON, pikaProblem } from '../helpers/pika.js';
import { ctlSkip, expectRun, useCtlBroker } from './warrenctl-helpers.js';

/** Logs in as CTL_USER / CTL_PASS; MODE=work publishes and consumes one message, MODE=refused expects the login to fail. */
const SCRIPT = String.raw`
import faulthandler, os, sys, uuid
import pika, pika.exceptions
faulthandler.dump_traceback_later(30, exit=True)
params = pika.ConnectionParameters('127.0.0.1', int(os.environ['AMQP_PORT']), '/',
    pika.PlainCredentials(os.environ['CTL_USER'], os.environ['CTL_PASS']),
    connection_attempts=1, socket_timeout=10, blocked_connection_timeout=10)
if os.environ['MODE'] == 'refused':
    try:
        pika.BlockingConnection(params).close()
    except pika.exceptions.AMQPError as e:
        print('REFUSED', repr(e))
        sys.exit(0)
    print('FAIL: the login was accepted')
    sys.exit(1)
conn = pika.BlockingConnection(params)
ch = conn.channel()
q = 'warrenctl-seed-' + uuid.uuid4().hex[:8]
ch.queue_declare(queue=q)
ch.basic_publish(exchange='', routing_key=q, body='benz is good car'.encode())
got = []
def on_message(c, method, props, body):
    got.append(body)
    c.basic_ack(method.delivery_tag)
    c.stop_consuming()
ch.basic_consume(q, on_message)
conn.call_later(10, ch.stop_consuming)
ch.start_consuming()
ch.queue_delete(q)
conn.close()
if got != [b'benz is good car']:
    print('FAIL: consumed', got)
    sys.exit(1)
print('OK')
`;

interface PyResult {
  code: number | null;
  out: string;
}

function runPika(port: number, user: string, password: string, mode: 'work' | 'refused'): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-B', '-'], {
      env: { ...process.env, AMQP_PORT: String(port), CTL_USER: user, CTL_PASS: password, MODE: mode, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    child.stdin.end(SCRIPT);
  });
}

const skip = ctlSkip() || (pikaProblem() ?? false);

describe('warrenctl: the seeds recipe with pika', { skip }, () => {
  const b = useCtlBroker();
  const { ctl } = b;

  test('add_user + set_user_tags + set_permissions, then pika logs in, publishes and consumes', async () => {
    expectRun(
      await ctl(['add_user', 'xjk', '123']),
      0,
      `Adding user "xjk" ...\nDone. Don't forget to grant the user permissions to some virtual hosts! See 'rabbitmqctl help set_permissions' to learn more.\n`,
    );
    expectRun(await ctl(['set_user_tags', 'xjk', 'administrator']), 0, 'Setting tags for user "xjk" to [administrator] ...\n');

    // no permissions on "/" yet: connection.open is refused
    const early = await runPika(b.broker.port, 'xjk', '123', 'refused');
    assert.equal(early.code, 0, `login without permissions refused: ${early.out}`);
    assert.match(early.out, /530.*NOT_ALLOWED/, early.out);

    expectRun(await ctl(['set_permissions', '-p', '/', 'xjk', '.*', '.*', '.*']), 0, 'Setting permissions for user "xjk" in vhost "/" ...\n');
    const work = await runPika(b.broker.port, 'xjk', '123', 'work');
    assert.equal(work.code, 0, `pika publish/consume as xjk: ${work.out}`);
    assert.match(work.out, /^OK$/m, work.out);
  });

  test('change_password and delete_user take effect for new logins', async () => {
    expectRun(await ctl(['-q', 'change_password', 'xjk', '1234']), 0, '');
    const old = await runPika(b.broker.port, 'xjk', '123', 'refused');
    assert.equal(old.code, 0, `old password refused: ${old.out}`);
    assert.match(old.out, /403.*ACCESS_REFUSED/, old.out);
    const fresh = await runPika(b.broker.port, 'xjk', '1234', 'work');
    assert.equal(fresh.code, 0, `new password works: ${fresh.out}`);

    expectRun(await ctl(['-q', 'delete_user', 'xjk']), 0, '');
    const gone = await runPika(b.broker.port, 'xjk', '1234', 'refused');
    assert.equal(gone.code, 0, `deleted user refused: ${gone.out}`);
    assert.match(gone.out, /403.*ACCESS_REFUSED/, gone.out);
  });
});
