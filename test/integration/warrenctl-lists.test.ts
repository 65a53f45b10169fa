// warrenctl's listings and queue/connection actions against an in-process Warren that amqplib
// clients have filled: list_queues, list_exchanges, list_bindings, list_connections,
// list_channels, list_consumers, purge_queue, delete_queue, close_connection.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { withTimeout } from '../helpers/amqp-helpers.js';
import { ctlSkip, expectRun, show, useCtlBroker } from './warrenctl-helpers.js';

/** The lines after the banner(s) of a listing. */
function body(stdout: string, banners: number): string[] {
  return stdout.split('\n').slice(banners, -1);
}

describe('warrenctl: listings, queues and connections', { skip: ctlSkip() }, () => {
  let conn: ChannelModel;
  let ch: Channel;
  let consumerTag: string;
  let localPort: number;
  /** a queue name from the seeds (non-ASCII names must list as they are) */
  const SEED_QUEUE = '水续传';

  const b = useCtlBroker({ setup, teardown: async () => void (await conn?.close().catch(() => {})) });
  const { ctl } = b;

  async function setup(): Promise<void> {
    conn = await amqp.connect(b.broker.url);
    ch = await conn.createChannel();
    await ch.assertQueue('ready-q', { durable: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue('ready-q', Buffer.from(`m${i}`));
    await ch.assertQueue('limited-q', { durable: false, arguments: { 'x-max-length': 10 } });
    await ch.assertQueue(SEED_QUEUE, { durable: false });
    await ch.assertExchange('events', 'topic', { durable: true });
    await ch.bindQueue('ready-q', 'events', 'order.#');
    await ch.bindQueue('ready-q', 'events', 'hdr', { 'x-match': 'all', n: 1 });
    await ch.prefetch(5);
    consumerTag = (await ch.consume('limited-q', () => {}, { noAck: false })).consumerTag;
    // a round trip after the publishes: they are all enqueued by now
    await ch.checkQueue('ready-q');
    const sock = (conn.connection as unknown as { stream: { localPort: number } }).stream;
    localPort = sock.localPort;
  }

  test('list_queues prints the timeout and vhost banners and name/messages by default', async () => {
    const r = await ctl(['list_queues']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 3), ['Timeout: 60.0 seconds ...', 'Listing queues for vhost / ...', 'name\tmessages'], show(r));
    const rows = body(r.stdout, 3).sort();
    assert.deepEqual(rows, ['limited-q\t0', 'ready-q\t3', `${SEED_QUEUE}\t0`].sort(), show(r));
  });

  test('list_queues with columns, as the seeds use it', async () => {
    const r = await ctl(['-q', 'list_queues', 'name', 'messages_ready', 'messages_unacknowledged']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'name\tmessages_ready\tmessages_unacknowledged', show(r));
    assert.ok(lines.includes('ready-q\t3\t0'), show(r));

    const more = await ctl(['-q', 'list_queues', 'name,durable', 'auto_delete', 'exclusive', 'arguments', 'consumers', 'state', 'type', 'policy', 'consumer_utilisation', 'leader']);
    assert.equal(more.code, 0, show(more));
    const rows = more.stdout.split('\n');
    assert.equal(rows[0], 'name\tdurable\tauto_delete\texclusive\targuments\tconsumers\tstate\ttype\tpolicy\tconsumer_utilisation\tleader', show(more));
    assert.ok(rows.includes('ready-q\ttrue\tfalse\tfalse\t[]\t0\trunning\tclassic\t\t0\t'), show(more));
    assert.ok(rows.includes('limited-q\tfalse\tfalse\tfalse\t[{"x-max-length",10}]\t1\trunning\tclassic\t\t1.0\t'), show(more));
    const pids = await ctl(['-q', '--no-table-headers', 'list_queues', 'name', 'pid', 'owner_pid']);
    assert.ok(pids.stdout.split('\n').some((l) => /^ready-q\t<warren@[^.>]+\.\d+\.\d+\.0>\t$/.test(l)), show(pids));
  });

  test('list_queues rejects an unknown column (64); an unknown vhost lists nothing', async () => {
    const r = await ctl(['list_queues', 'name', 'colour']);
    assert.equal(r.code, 64, show(r));
    assert.equal(r.stdout, '', show(r));
    assert.match(r.stderr, /^Error \(argument validation\): Info key\(s\) colour are not supported\n/, show(r));
    expectRun(await ctl(['list_queues', '-p', 'no-such-vhost']), 0, 'Timeout: 60.0 seconds ...\nListing queues for vhost no-such-vhost ...\n');
    expectRun(await ctl(['list_queues', '-p', 'no-such-vhost', '--formatter', 'json']), 0, '[\n]\n');
  });

  test('list_queues --formatter json gives argument tables as [name, type, value] triples', async () => {
    const r = await ctl(['list_queues', 'name', 'arguments', '--formatter', 'json']);
    assert.equal(r.code, 0, show(r));
    const rows = JSON.parse(r.stdout) as { name: string; arguments: unknown[] }[];
    assert.deepEqual(rows.find((q) => q.name === 'limited-q')?.arguments, [['x-max-length', 'long', 10]], show(r));
    assert.deepEqual(rows.find((q) => q.name === 'ready-q')?.arguments, [], show(r));
  });

  test('list_exchanges lists the standard exchanges and ours', async () => {
    const r = await ctl(['list_exchanges']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 2), ['Listing exchanges for vhost / ...', 'name\ttype'], show(r));
    for (const row of ['\tdirect', 'amq.direct\tdirect', 'amq.fanout\tfanout', 'amq.topic\ttopic', 'amq.headers\theaders', 'events\ttopic']) {
      assert.ok(lines.includes(row), `${JSON.stringify(row)} listed: ${show(r)}`);
    }
    const cols = await ctl(['-q', 'list_exchanges', 'name', 'durable', 'auto_delete', 'internal', 'arguments']);
    assert.ok(cols.stdout.split('\n').includes('events\ttrue\tfalse\tfalse\t[]'), show(cols));
  });

  test('list_bindings lists default-exchange and explicit bindings', async () => {
    const r = await ctl(['list_bindings']);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(
      lines.slice(0, 2),
      ['Listing bindings for vhost /...', 'source_name\tsource_kind\tdestination_name\tdestination_kind\trouting_key\targuments'],
      show(r),
    );
    assert.ok(lines.includes('\texchange\tready-q\tqueue\tready-q\t[]'), show(r));
    assert.ok(lines.includes('events\texchange\tready-q\tqueue\torder.#\t[]'), show(r));
    // binding arguments are listed sorted by name, as RabbitMQ keeps them
    assert.ok(lines.includes('events\texchange\tready-q\tqueue\thdr\t[{"n",1},{"x-match","all"}]'), show(r));
  });

  test('list_connections, list_channels and list_consumers', async () => {
    const c = await ctl(['list_connections']);
    assert.equal(c.code, 0, show(c));
    assert.deepEqual(
      c.stdout.split('\n'),
      ['Listing connections ...', 'user\tpeer_host\tpeer_port\tstate', `guest\t127.0.0.1\t${localPort}\trunning`, ''],
      show(c),
    );
    const cols = await ctl(['-q', 'list_connections', 'user', 'vhost', 'protocol', 'channels', 'ssl']);
    assert.ok(cols.stdout.split('\n').includes('guest\t/\t{0,9,1}\t1\tfalse'), show(cols));

    const chans = await ctl(['list_channels']);
    assert.equal(chans.code, 0, show(chans));
    const cl = chans.stdout.split('\n');
    assert.deepEqual(cl.slice(0, 2), ['Listing channels ...', 'pid\tuser\tconsumer_count\tmessages_unacknowledged'], show(chans));
    assert.match(cl[2] ?? '', /^<[^>]+\.\d+\.\d+\.0>\tguest\t1\t0$/, show(chans));
    const chanCols = await ctl(['-q', 'list_channels', 'number', 'user', 'vhost', 'prefetch_count', 'confirm', 'transactional']);
    assert.ok(chanCols.stdout.split('\n').includes('1\tguest\t/\t5\tfalse\tfalse'), show(chanCols));

    const cons = await ctl(['list_consumers']);
    assert.equal(cons.code, 0, show(cons));
    const col = cons.stdout.split('\n');
    assert.deepEqual(
      col.slice(0, 2),
      ['Listing consumers in vhost / ...', 'queue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments'],
      show(cons),
    );
    const channelPid = (cl[2] ?? '').split('\t')[0];
    assert.equal(col[2], `limited-q\t${channelPid}\t${consumerTag}\ttrue\t5\ttrue\t[]`, show(cons));
  });

  test('purge_queue empties a queue', async () => {
    expectRun(await ctl(['purge_queue', 'ready-q']), 0, "Purging queue 'ready-q' in vhost '/' ...\n");
    assert.equal((await ch.checkQueue('ready-q')).messageCount, 0, 'purged');
    // rabbitmqctl reports the failed lookup as a bare "not_found", exit 69
    expectRun(await ctl(['purge_queue', 'no-such-queue']), 69, "Purging queue 'no-such-queue' in vhost '/' ...\n", 'Error:\nnot_found\n');
  });

  test('delete_queue, with --if-empty and --if-unused', async () => {
    await ch.assertQueue('full-q');
    ch.sendToQueue('full-q', Buffer.from('x'));
    await ch.checkQueue('full-q');
    expectRun(
      await ctl(['delete_queue', 'full-q', '--if-empty']),
      64,
      "Deleting queue 'full-q' on vhost '/' if queue is empty ...\n",
      'Error:\nQueue is not empty\n',
    );
    expectRun(await ctl(['delete_queue', 'limited-q', '-u']), 64, "Deleting queue 'limited-q' on vhost '/' if queue is unused ...\n", 'Error:\nQueue is in use\n');
    expectRun(await ctl(['delete_queue', 'full-q']), 0, "Deleting queue 'full-q' on vhost '/' ...\nQueue was successfully deleted with 1 ready messages\n");
    expectRun(await ctl(['delete_queue', 'full-q']), 64, "Deleting queue 'full-q' on vhost '/' ...\n", 'Error:\nQueue not found\n');
    expectRun(
      await ctl(['delete_queue', SEED_QUEUE, '--if-empty', '--if-unused']),
      0,
      `Deleting queue '${SEED_QUEUE}' on vhost '/' if queue is empty and if queue is unused ...\nQueue was successfully deleted with 0 ready messages\n`,
    );
    const empty = await ctl(['delete_queue', '']);
    assert.equal(empty.code, 65, show(empty));
    assert.match(empty.stderr, /^Error \(argument validation\): Bad argument: queue name cannot be an empty string\n/, show(empty));
    const underscore = await ctl(['delete_queue', 'ready-q', '--if_empty']);
    assert.equal(underscore.code, 64, show(underscore));
    assert.match(underscore.stderr, /^Error \(argument validation\): Invalid options for this command:\n--if_empty : \n/, show(underscore));
  });

  test('close_connection closes a client connection with 320 and the explanation', async () => {
    const victim = await amqp.connect(b.broker.url);
    const closed = new Promise<Error | undefined>((resolve) => victim.on('close', (err?: Error) => resolve(err)));
    victim.on('error', () => {});
    const port = (victim.connection as unknown as { stream: { localPort: number } }).stream.localPort;
    const list = await ctl(['-q', '--no-table-headers', 'list_connections', 'pid', 'peer_port']);
    const row = list.stdout.split('\n').find((l) => l.endsWith(`\t${port}`));
    assert.ok(row !== undefined, `victim listed: ${show(list)}`);
    const pid = row.split('\t')[0] ?? '';
    expectRun(await ctl(['close_connection', pid, 'go away']), 0, `Closing connection ${pid}, reason: go away...\n`);
    const err = await withTimeout(closed, 5000, 'the victim connection to close');
    assert.match(String(err?.message), /320.*CONNECTION_FORCED - go away/, `close reason: ${String(err?.message)}`);
    // a pid of a connection that is gone: nothing to do, as in rabbitmqctl
    expectRun(await ctl(['-q', 'close_connection', pid, 'again']), 0, '');
    expectRun(await ctl(['-q', 'close_connection', 'garbage', 'x']), 69, '', 'Error:\nError:\n{:invalid_pid_syntax, "garbage"}\n');
  });
});
