// Durability of the real `warren` process across restarts, through amqplib: what RabbitMQ keeps
// when a broker stops (SIGTERM, a graceful restart) or crashes (SIGKILL, kill -9) and is started
// again on the same --data-dir, and what it drops.
//
//   kept:    durable queues (with their arguments), persistent messages in them, in order, with
//            their properties; durable exchanges and the bindings between durable exchanges and
//            durable queues; the redelivered flag of messages delivered but not acked; every
//            message whose publisher confirm arrived before a kill -9;
//   dropped: transient and exclusive queues, transient exchanges, transient messages, acked /
//            rejected / purged / length-limit-dropped messages, deleted queues and exchanges.
//
// After kill -9 a just-made ack (or delivery, purge, ...) may not be on disk yet, as in RabbitMQ;
// where a test needs such a record to have reached the disk it publishes a confirmed message to
// the queue afterwards (the confirm says everything before it is written). Beyond the storage
// spec: a kill -9 right after tx.commit-ok must not lose the transaction (RabbitMQ sends commit-ok
// after the persistent messages are on disk), and recovery across a checkpoint and several
// segment files.
//
// Each test runs its own broker process on its own temporary data dir (see
// test/helpers/warren-process.ts), so the tests are independent and run a few at a time. Tests
// that make sense for both kinds of stop run once per mode.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import {
  Returns,
  TIMEOUT_MS,
  closeQuietly,
  connect,
  consume,
  getOne,
  openChannel,
  openConfirmChannel,
  replyTextOf,
  txCommit,
  txSelect,
  withTimeout,
} from '../helpers/amqp-helpers.js';
import { uniqueName } from '../helpers/broker.js';
import { type RestartMode, Sandbox, type WarrenProcess, runWarrenToExit, sandbox } from '../helpers/warren-process.js';

/** Per test: spawn + restart + a little AMQP; generous for a loaded CI machine. */
const TEST_TIMEOUT_MS = 60_000;

const MODES: ReadonlyArray<readonly [RestartMode, string]> = [
  ['graceful', 'a graceful restart (SIGTERM)'],
  ['kill', 'kill -9 and restart'],
];

const PERSISTENT: Options.Publish = { persistent: true };

// ---------------------------------------------------------------------------------------------
// a test's broker and connections

/** One test's broker (replaced on each restart) and the client connections opened to it. */
class Scenario {
  private conns: ChannelModel[] = [];
  private main: ChannelModel | undefined;
  /** how the broker last came back, for assertion messages */
  when = 'start';

  private constructor(public broker: WarrenProcess) {}

  /** A broker on a fresh data dir; everything is cleaned up after the test. */
  static async start(t: TestContext): Promise<Scenario> {
    const sb = new Sandbox();
    let s: Scenario | undefined;
    t.after(async () => {
      await s?.closeAll(); // client connections first, then the broker processes and data dirs
      await sb.cleanup();
    });
    s = new Scenario(await sb.start());
    return s;
  }

  /** A new connection to the current broker. */
  async connect(): Promise<ChannelModel> {
    const c = await connect(this.broker.url);
    this.conns.push(c);
    return c;
  }

  /** A new channel on the current broker's shared connection. */
  async channel(): Promise<Channel> {
    if (!this.main) this.main = await this.connect();
    return openChannel(this.main);
  }

  /**
   * Stops the broker (SIGTERM, must exit 0) or kills it (SIGKILL) and starts a new one on the
   * same data dir. Client connections are left as they are: the broker's stop is what ends them.
   */
  async restart(mode: RestartMode): Promise<void> {
    this.broker = await this.broker.restart(mode);
    this.when = mode === 'graceful' ? 'a graceful restart' : 'kill -9 and restart';
    await this.closeAll();
  }

  async closeAll(): Promise<void> {
    const conns = this.conns;
    this.conns = [];
    this.main = undefined;
    await Promise.all(conns.map((c) => closeQuietly(c)));
  }
}

// ---------------------------------------------------------------------------------------------
// publishing, reading and existence checks, each failing with a message that says what is wrong

/** Publishes on a new confirm channel and waits until the broker confirmed every message. */
async function publishConfirmed(
  s: Scenario,
  exchange: string,
  routingKey: string,
  messages: Array<string | Buffer | { body: string | Buffer; options: Options.Publish }>,
): Promise<void> {
  const ch = await openConfirmChannel(await s.connect());
  for (const m of messages) {
    const { body, options } = typeof m === 'string' || Buffer.isBuffer(m) ? { body: m, options: PERSISTENT } : m;
    ch.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
  }
  await withTimeout(ch.waitForConfirms(), TIMEOUT_MS * 2, `confirms of ${messages.length} publishes`);
}

const bodies = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

/** The ready count of a queue that must exist. */
async function messageCount(s: Scenario, queue: string): Promise<number> {
  const ch = await s.channel();
  try {
    return (await withTimeout(ch.checkQueue(queue), TIMEOUT_MS, `passive queue.declare ${queue}`)).messageCount;
  } catch (err) {
    assert.fail(`queue '${queue}' should exist after ${s.when}, but passive queue.declare failed: ${replyTextOf(err) ?? String(err)}`);
  }
}

/** A queue that must not exist (passive declare → 404 NOT_FOUND). */
async function assertQueueGone(s: Scenario, queue: string, why: string): Promise<void> {
  const ch = await s.channel();
  const r = await withTimeout(
    ch.checkQueue(queue).then(
      (ok) => ok,
      (e: Error & { code?: number }) => e,
    ),
    TIMEOUT_MS,
    `passive queue.declare ${queue}`,
  );
  if (!(r instanceof Error)) assert.fail(`${why}: queue '${queue}' should be gone after ${s.when}, but it exists with ${r.messageCount} ready messages`);
  assert.equal(r.code, 404, `passive queue.declare '${queue}' after ${s.when}: expected 404 NOT_FOUND, got ${r.message}`);
}

async function assertExchangeExists(s: Scenario, exchange: string): Promise<void> {
  const ch = await s.channel();
  try {
    await withTimeout(ch.checkExchange(exchange), TIMEOUT_MS, `passive exchange.declare ${exchange}`);
  } catch (err) {
    assert.fail(`durable exchange '${exchange}' should exist after ${s.when}, but passive exchange.declare failed: ${replyTextOf(err) ?? String(err)}`);
  }
}

async function assertExchangeGone(s: Scenario, exchange: string, why: string): Promise<void> {
  const ch = await s.channel();
  const r = await withTimeout(
    ch.checkExchange(exchange).then(
      () => null,
      (e: Error & { code?: number }) => e,
    ),
    TIMEOUT_MS,
    `passive exchange.declare ${exchange}`,
  );
  if (r === null) assert.fail(`${why}: exchange '${exchange}' should be gone after ${s.when}, but it exists`);
  assert.equal(r.code, 404, `passive exchange.declare '${exchange}' after ${s.when}: expected 404 NOT_FOUND, got ${r.message}`);
}

/**
 * Consumes everything ready in a queue that must exist (as many messages as its declare-ok
 * reports), acks them all and returns them in delivery order.
 */
async function readAll(s: Scenario, queue: string): Promise<ConsumeMessage[]> {
  const count = await messageCount(s, queue);
  const ch = await s.channel();
  const { tag, inbox } = await consume(ch, queue, { noAck: false });
  await inbox.waitFor(count, TIMEOUT_MS * 2);
  ch.ackAll();
  await withTimeout(ch.cancel(tag), TIMEOUT_MS, 'basic.cancel');
  return inbox.messages.slice();
}

/** "body" or "body (redelivered)": compact, and a deepEqual diff of these reads well. */
const label = (m: { content: Buffer; fields: { redelivered: boolean } }): string =>
  m.fields.redelivered ? `${m.content.toString()} (redelivered)` : m.content.toString();
const fresh = (b: string[]): string[] => b;
const redelivered = (b: string[]): string[] => b.map((x) => `${x} (redelivered)`);

/** The queue's messages after a restart must be exactly `expected` (labels), in this order. */
async function assertQueueHolds(s: Scenario, queue: string, expected: string[], what: string): Promise<ConsumeMessage[]> {
  const count = await messageCount(s, queue);
  const msgs = count === expected.length ? await readAll(s, queue) : [];
  if (count !== expected.length) {
    assert.fail(`${what}: after ${s.when} queue '${queue}' holds ${count} ready messages, expected ${expected.length}: ${JSON.stringify(expected.slice(0, 10))}${expected.length > 10 ? '…' : ''}`);
  }
  assert.deepEqual(msgs.map(label), expected, `${what}: messages after ${s.when} (in delivery order)`);
  return msgs;
}

// ---------------------------------------------------------------------------------------------

describe('data dir and process', { concurrency: 2 }, () => {
  test('a fresh empty --data-dir starts clean, and so does one that does not exist yet', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves: an empty dir is a valid, empty broker state (built-in exchanges only, no queues),
    // and a missing dir (even nested) is created; both stop cleanly and start again.
    const sb = sandbox(t);
    const parent = sb.tempDir();
    for (const dir of [sb.tempDir(), join(parent, 'not', 'yet')]) {
      let w = await sb.start(dir);
      assert.ok(existsSync(dir), `${dir} exists once the broker runs`);
      const conn = await connect(w.url);
      try {
        await withTimeout((await openChannel(conn)).checkExchange('amq.direct'), TIMEOUT_MS, 'amq.direct');
        const ch = await openChannel(conn);
        const q = uniqueName('fresh');
        const err = await ch.checkQueue(q).then(
          () => null,
          (e: Error & { code?: number }) => e,
        );
        assert.equal(err?.code, 404, `a never-declared queue is NOT_FOUND on a fresh data dir (${err?.message})`);
        const ok = await (await openChannel(conn)).assertQueue(uniqueName('fresh-durable'), { durable: true });
        assert.equal(ok.messageCount, 0);
      } finally {
        await closeQuietly(conn);
      }
      w = await w.restart('graceful');
      await w.stop();
    }
  });

  test('a second broker on the same data dir refuses to start: one "Error: …" line, non-zero exit', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves: the data dir is locked while a broker owns it; the refusal is a single clear line on
    // stderr; the refused broker neither listens nor disturbs the running one; a graceful stop
    // releases the lock.
    const sb = sandbox(t);
    const first = await sb.start();
    const dir = first.dataDir;
    const second = await runWarrenToExit(['--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--log-level', 'info'], 15_000);
    const report = `second broker: ${second.timedOut ? 'still running after 15 s' : `exit code ${second.code}, signal ${second.signal}`}\n--- stdout ---\n${second.stdout}\n--- stderr ---\n${second.stderr}`;
    assert.ok(!/AMQP listener started/.test(second.stdout), `the second broker must not start listening on a locked data dir\n${report}`);
    assert.equal(second.timedOut, false, `the second broker must exit by itself\n${report}`);
    assert.notEqual(second.code, 0, `the second broker must exit non-zero\n${report}`);
    const lines = second.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `stderr is exactly one line\n${report}`);
    assert.match(lines[0], /^Error: \S/, `stderr is "Error: <reason>"\n${report}`);
    assert.ok(lines[0].includes(dir) || /lock|in use|already/i.test(lines[0]), `the error names the data dir or the lock: ${lines[0]}`);

    // the first broker is unaffected
    const conn = await connect(first.url);
    const ok = await (await openChannel(conn)).assertQueue(uniqueName('still-serving'), { durable: true });
    assert.equal(ok.messageCount, 0);
    await closeQuietly(conn);

    // a graceful stop releases the dir
    const next = await first.restart('graceful');
    await next.stop();
  });

  test('kill -9 leaves no stale lock: the next broker on the data dir starts, and still locks it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves: a lock left by a dead process is taken over, and the new owner locks the dir again.
    const sb = sandbox(t);
    const first = await sb.start();
    const next = await first.restart('kill');
    const third = await runWarrenToExit(['--port', '0', '--host', '127.0.0.1', '--data-dir', next.dataDir], 15_000);
    assert.equal(third.timedOut, false, `a broker on a dir locked by a live broker must exit\n${third.stdout}\n${third.stderr}`);
    assert.notEqual(third.code, 0, `a broker on a dir locked by a live broker must exit non-zero\n${third.stderr}`);
    await next.stop();
  });
});

describe('durable state across restarts', { concurrency: 4 }, () => {
  for (const [mode, how] of MODES) {
    test(`durable queue + persistent messages survive ${how}, in order`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: the queue and every confirmed persistent message come back, in publish order,
      // not redelivered, still persistent.
      const s = await Scenario.start(t);
      const q = uniqueName('durable');
      await (await s.channel()).assertQueue(q, { durable: true });
      const sent = bodies('msg', 200);
      await publishConfirmed(s, '', q, sent);
      await s.restart(mode);
      const msgs = await assertQueueHolds(s, q, fresh(sent), 'persistent messages');
      assert.ok(
        msgs.every((m) => m.properties.deliveryMode === 2),
        'recovered messages keep delivery_mode 2',
      );
      // and the recovered queue works as before: it is consumed empty and accepts new messages
      assert.equal(await messageCount(s, q), 0, 'acked after the restart');
      await publishConfirmed(s, '', q, ['after-restart']);
      await assertQueueHolds(s, q, ['after-restart'], 'a publish to the recovered queue');
    });

    test(`message properties and bodies of every size survive ${how} byte for byte`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: the stored message is the published one: all basic properties (headers of several
      // field types included), empty / binary / multi-frame bodies.
      const s = await Scenario.start(t);
      const q = uniqueName('props');
      await (await s.channel()).assertQueue(q, { durable: true });
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = Buffer.alloc(2 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      const props: Options.Publish = {
        persistent: true,
        contentType: 'application/octet-stream',
        contentEncoding: 'identity',
        headers: { s: 'text', n: 42, neg: -7, f: 1.5, b: true, nested: { a: 'b' }, list: [1, 'two'] },
        priority: 3,
        correlationId: 'corr-1',
        replyTo: 'reply-here',
        messageId: 'mid-1',
        timestamp: 1_700_000_000,
        type: 'kind',
        userId: 'guest',
        appId: 'durability-test',
      };
      const sent: Array<{ body: Buffer; options: Options.Publish }> = [
        { body: Buffer.alloc(0), options: props },
        { body: Buffer.from('x'), options: { persistent: true } },
        { body: allBytes, options: { persistent: true, messageId: 'all-bytes' } },
        { body: Buffer.alloc(200 * 1024, 0x5a), options: { persistent: true, messageId: 'multi-frame' } },
        { body: big, options: { persistent: true, messageId: 'two-mib' } },
      ];
      await publishConfirmed(s, '', q, sent);
      await s.restart(mode);
      assert.equal(await messageCount(s, q), sent.length, `all ${sent.length} messages are back after ${s.when}`);
      const msgs = await readAll(s, q);
      assert.equal(msgs.length, sent.length);
      sent.forEach((m, i) => {
        const got = msgs[i];
        assert.ok(got.content.equals(m.body), `body #${i + 1} (${m.body.length} bytes) is identical after ${s.when} (got ${got.content.length} bytes)`);
        assert.equal(got.properties.deliveryMode, 2, `message #${i + 1} keeps delivery_mode 2`);
        assert.equal(got.properties.messageId, m.options.messageId, `message #${i + 1} keeps its message id`);
      });
      const p = msgs[0].properties;
      assert.deepEqual(
        {
          contentType: p.contentType,
          contentEncoding: p.contentEncoding,
          headers: p.headers,
          priority: p.priority,
          correlationId: p.correlationId,
          replyTo: p.replyTo,
          messageId: p.messageId,
          timestamp: p.timestamp,
          type: p.type,
          userId: p.userId,
          appId: p.appId,
        },
        {
          contentType: props.contentType,
          contentEncoding: props.contentEncoding,
          headers: props.headers,
          priority: props.priority,
          correlationId: props.correlationId,
          replyTo: props.replyTo,
          messageId: props.messageId,
          timestamp: props.timestamp,
          type: props.type,
          userId: props.userId,
          appId: props.appId,
        },
        `every basic property survives ${s.when}`,
      );
    });

    test(`a transient queue is gone after ${how}, persistent messages in it too`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: durable=false queues are not recovered, even holding persistent messages, and
      // redeclaring the name gives an empty queue.
      const s = await Scenario.start(t);
      const q = uniqueName('transient-q');
      await (await s.channel()).assertQueue(q, { durable: false });
      await publishConfirmed(s, '', q, bodies('in-transient-queue', 3));
      await s.restart(mode);
      await assertQueueGone(s, q, 'a transient (durable=false) queue');
      const ok = await (await s.channel()).assertQueue(q, { durable: false });
      assert.equal(ok.messageCount, 0, 'the name redeclared after the restart is an empty queue');
    });

    test(`an exclusive queue is gone after ${how}, even declared durable`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: an exclusive queue dies with its connection, which a restart ends, whatever its
      // durable flag; its persistent messages do not come back under the name either.
      const s = await Scenario.start(t);
      const q = uniqueName('exclusive-q');
      const owner = await s.connect();
      await (await openChannel(owner)).assertQueue(q, { durable: true, exclusive: true });
      const ch = await openConfirmChannel(owner);
      for (const b of bodies('in-exclusive-queue', 3)) ch.sendToQueue(q, Buffer.from(b), PERSISTENT);
      await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirms');
      await s.restart(mode); // the owning connection is still open when the broker goes
      await assertQueueGone(s, q, 'an exclusive queue (declared durable)');
      const ok = await (await s.channel()).assertQueue(q, { durable: true });
      assert.equal(ok.messageCount, 0, 'the name redeclared (non-exclusive) after the restart is an empty queue');
    });

    test(`transient messages in a durable queue are gone after ${how}; persistent ones keep their order`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: delivery_mode 1 and an absent delivery_mode both mean transient, and only the
      // persistent messages around them come back, in order.
      const s = await Scenario.start(t);
      const q = uniqueName('mixed');
      await (await s.channel()).assertQueue(q, { durable: true });
      await publishConfirmed(s, '', q, [
        { body: 'persistent-1', options: { deliveryMode: 2 } },
        { body: 'transient-unset', options: {} },
        { body: 'persistent-2', options: { deliveryMode: 2 } },
        { body: 'transient-mode-1', options: { deliveryMode: 1 } },
        { body: 'persistent-3', options: { deliveryMode: 2 } },
      ]);
      assert.equal(await messageCount(s, q), 5, 'all five are in the queue before the restart');
      await s.restart(mode);
      await assertQueueHolds(s, q, ['persistent-1', 'persistent-2', 'persistent-3'], 'only the persistent messages');
    });

    test(`durable exchanges and their bindings to a durable queue survive ${how}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: durable exchanges of every type come back with their type, and route as before
      // through each kind of binding (direct key, fanout, topic pattern, headers match on string,
      // integer, 64-bit integer and boolean arguments, an exchange-to-exchange binding); a binding
      // removed before the restart stays removed.
      const s = await Scenario.start(t);
      const ch = await s.channel();
      const q = uniqueName('bound');
      const [xd, xf, xt, xh, xsrc] = ['direct', 'fanout', 'topic', 'headers', 'e2e-src'].map((k) => uniqueName(`x-${k}`));
      await ch.assertQueue(q, { durable: true });
      await ch.assertExchange(xd, 'direct', { durable: true });
      await ch.assertExchange(xf, 'fanout', { durable: true });
      await ch.assertExchange(xt, 'topic', { durable: true });
      await ch.assertExchange(xh, 'headers', { durable: true });
      await ch.assertExchange(xsrc, 'fanout', { durable: true });
      await ch.bindQueue(q, xd, 'key');
      await ch.bindQueue(q, xd, 'unbound-before-restart');
      await ch.unbindQueue(q, xd, 'unbound-before-restart');
      await ch.bindQueue(q, xf, '');
      await ch.bindQueue(q, xt, 'a.*.c');
      await ch.bindQueue(q, xh, '', { 'x-match': 'all', colour: 'red', size: 42, big: 5_000_000_000, flag: true });
      await ch.bindExchange(xd, xsrc, ''); // xsrc → xd (fanout passes the routing key on)
      await s.restart(mode);

      for (const x of [xd, xf, xt, xh, xsrc]) await assertExchangeExists(s, x);
      // the type came back too: redeclaring with another type is refused
      const probe = await s.channel();
      const err = await probe.assertExchange(xt, 'direct', { durable: true }).then(
        () => null,
        (e: Error & { code?: number }) => e,
      );
      assert.equal(err?.code, 406, `redeclaring topic exchange ${xt} as direct after ${s.when} must fail with 406 (${err?.message ?? 'it succeeded'})`);

      const conn = await s.connect();
      const pub = await openConfirmChannel(conn);
      const returns = new Returns(pub);
      pub.publish(xd, 'key', Buffer.from('via-direct'), { persistent: true, mandatory: true });
      pub.publish(xf, 'anything', Buffer.from('via-fanout'), { persistent: true, mandatory: true });
      pub.publish(xt, 'a.b.c', Buffer.from('via-topic'), { persistent: true, mandatory: true });
      pub.publish(xh, '', Buffer.from('via-headers'), { persistent: true, mandatory: true, headers: { colour: 'red', size: 42, big: 5_000_000_000, flag: true } });
      pub.publish(xsrc, 'key', Buffer.from('via-exchange-to-exchange'), { persistent: true, mandatory: true });
      pub.publish(xd, 'unbound-before-restart', Buffer.from('via-removed-binding'), { persistent: true, mandatory: true });
      await withTimeout(pub.waitForConfirms(), TIMEOUT_MS, 'confirms');
      assert.deepEqual(
        returns.messages.map((m) => m.content.toString()),
        ['via-removed-binding'],
        `after ${s.when} only the publish through the binding removed before the restart is unroutable`,
      );
      await assertQueueHolds(s, q, ['via-direct', 'via-fanout', 'via-topic', 'via-headers', 'via-exchange-to-exchange'], 'messages routed through recovered bindings');
    });

    test(`a transient exchange is gone after ${how}, and so are its bindings`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: durable=false exchanges are not recovered; a durable queue that was bound to one
      // survives, unbound; a binding from a durable exchange to a transient queue is gone with it.
      const s = await Scenario.start(t);
      const ch = await s.channel();
      const q = uniqueName('dq');
      const tq = uniqueName('tq');
      const tx = uniqueName('x-transient');
      const dx = uniqueName('x-durable');
      await ch.assertQueue(q, { durable: true });
      await ch.assertQueue(tq, { durable: false });
      await ch.assertExchange(tx, 'fanout', { durable: false });
      await ch.assertExchange(dx, 'direct', { durable: true });
      await ch.bindQueue(q, tx, '');
      await ch.bindQueue(tq, dx, 'to-transient');
      await s.restart(mode);
      await assertExchangeGone(s, tx, 'a transient (durable=false) exchange');
      await assertExchangeExists(s, dx);
      await assertQueueGone(s, tq, 'a transient queue bound to a durable exchange');
      // redeclared, the transient exchange has no bindings left: nothing reaches the queue
      const pub = await openConfirmChannel(await s.connect());
      const returns = new Returns(pub);
      await pub.assertExchange(tx, 'fanout', { durable: false });
      pub.publish(tx, '', Buffer.from('through-redeclared-transient'), { persistent: true, mandatory: true });
      pub.publish(dx, 'to-transient', Buffer.from('to-gone-transient-queue'), { persistent: true, mandatory: true });
      await withTimeout(pub.waitForConfirms(), TIMEOUT_MS, 'confirms');
      assert.deepEqual(
        returns.messages.map((m) => m.content.toString()).sort(),
        ['through-redeclared-transient', 'to-gone-transient-queue'],
        `bindings of the transient exchange and of the transient queue are gone after ${s.when}`,
      );
      assert.equal(await messageCount(s, q), 0, 'the durable queue once bound to the transient exchange is empty');
    });

    test(`delivered-but-unacked messages come back redelivered after ${how}; never-delivered ones not`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: the redelivered flag is recorded and recovered per message, the queue order is
      // the original one, and an ack (graceful stop) is never undone; after kill -9 a very
      // recent ack may be lost, but that message may then only come back redelivered.
      // Deliveries, like acks, may be recorded lazily (RabbitMQ's queue index does the same), so a
      // confirmed publish to the queue afterwards marks a point the records must have reached.
      const s = await Scenario.start(t);
      const q = uniqueName('unacked');
      await (await s.channel()).assertQueue(q, { durable: true });
      await publishConfirmed(s, '', q, bodies('m', 6));
      const conn = await s.connect();
      // m-1: fetched with basic.get (no auto-ack), never acked
      const getter = await openChannel(conn);
      const got = await getOne(getter, q, { noAck: false });
      assert.equal(got.content.toString(), 'm-1');
      // m-2, m-3 to a consumer with prefetch 2; ack m-2, and m-4 arriving proves the ack was handled
      const consumer = await openChannel(conn);
      await consumer.prefetch(2);
      const { inbox } = await consume(consumer, q, { noAck: false });
      const [m2] = await inbox.waitFor(2);
      assert.equal(m2.content.toString(), 'm-2');
      consumer.ack(m2);
      const all = await inbox.waitFor(3);
      assert.deepEqual(all.map(label), ['m-2', 'm-3', 'm-4'], 'deliveries before the restart');
      // now: m-1, m-3, m-4 delivered and unacked; m-2 acked; m-5, m-6 never delivered
      await publishConfirmed(s, '', q, ['barrier']);
      await s.restart(mode);

      const msgs = (await readAll(s, q)).map(label);
      const expected = [...redelivered(['m-1', 'm-3', 'm-4']), ...fresh(['m-5', 'm-6', 'barrier'])];
      if (mode === 'graceful') {
        assert.deepEqual(msgs, expected, `queue after ${s.when}`);
      } else {
        assert.ok(!msgs.includes('m-2'), `the acked m-2 came back after kill -9 with redelivered=false: ${JSON.stringify(msgs)}`);
        assert.deepEqual(
          msgs.filter((m) => m !== 'm-2 (redelivered)'),
          expected,
          `queue after ${s.when} (the acked m-2 may come back, redelivered)`,
        );
      }
    });

    test(`queue.purge survives ${how}: purged messages never come back`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: a purge is recorded; messages published after it (confirmed, so on disk after
      // the purge) are all that is left.
      const s = await Scenario.start(t);
      const q = uniqueName('purged');
      const ch = await s.channel();
      await ch.assertQueue(q, { durable: true });
      await publishConfirmed(s, '', q, bodies('purged', 10));
      const { messageCount: purged } = await ch.purgeQueue(q);
      assert.equal(purged, 10, 'purge-ok counts the 10 messages');
      await publishConfirmed(s, '', q, ['after-purge-1', 'after-purge-2']);
      await s.restart(mode);
      await assertQueueHolds(s, q, ['after-purge-1', 'after-purge-2'], 'only messages published after the purge');
    });

    test(`queue.delete and exchange.delete survive ${how}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: a deleted durable queue does not come back, nor its messages when the name is
      // declared again; a deleted durable exchange does not come back. (The confirmed publish to
      // another queue afterwards puts the deletions before a point known to be on disk.)
      const s = await Scenario.start(t);
      const ch = await s.channel();
      const gone = uniqueName('deleted-q');
      const goneX = uniqueName('deleted-x');
      const kept = uniqueName('kept-q');
      await ch.assertQueue(gone, { durable: true });
      await ch.assertQueue(kept, { durable: true });
      await ch.assertExchange(goneX, 'topic', { durable: true });
      await ch.bindQueue(kept, goneX, '#');
      await publishConfirmed(s, '', gone, bodies('in-deleted-queue', 5));
      const { messageCount: dropped } = await ch.deleteQueue(gone);
      assert.equal(dropped, 5, 'delete-ok counts the 5 messages');
      await ch.deleteExchange(goneX);
      await publishConfirmed(s, '', kept, ['after-delete']);
      await s.restart(mode);
      await assertQueueGone(s, gone, 'a deleted durable queue');
      await assertExchangeGone(s, goneX, 'a deleted durable exchange');
      const ok = await (await s.channel()).assertQueue(gone, { durable: true });
      assert.equal(ok.messageCount, 0, `the deleted queue's messages do not come back when its name is declared again after ${s.when}`);
      await assertQueueHolds(s, kept, ['after-delete'], 'the queue that was not deleted');
    });

    test(`queue arguments survive ${how}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: a durable queue's arguments come back as declared (same values and field types):
      // redeclaring with them is accepted, with other values refused, and they still act.
      const s = await Scenario.start(t);
      const q = uniqueName('args');
      const args = { 'x-max-length': 3, 'x-overflow': 'reject-publish' };
      await (await s.channel()).assertQueue(q, { durable: true, arguments: args });
      await publishConfirmed(s, '', q, ['a-1', 'a-2']);
      await s.restart(mode);
      const ok = await (await s.channel()).assertQueue(q, { durable: true, arguments: args }).catch((e: Error) => {
        assert.fail(`redeclaring '${q}' with its own arguments after ${s.when} failed: ${replyTextOf(e) ?? e.message}`);
      });
      assert.equal(ok.messageCount, 2);
      const err = await (await s.channel()).assertQueue(q, { durable: true, arguments: { ...args, 'x-max-length': 4 } }).then(
        () => null,
        (e: Error & { code?: number }) => e,
      );
      assert.equal(err?.code, 406, `a different x-max-length after ${s.when} must be refused with 406 (${err?.message ?? 'it was accepted'})`);
      // x-max-length 3 with reject-publish still holds: one more fits, the next is nacked
      const pub = await openConfirmChannel(await s.connect());
      const outcome = (body: string): Promise<string> =>
        new Promise((resolve) => pub.sendToQueue(q, Buffer.from(body), PERSISTENT, (e) => resolve(e ? 'nack' : 'ack')));
      assert.deepEqual(await withTimeout(Promise.all([outcome('a-3'), outcome('a-4')]), TIMEOUT_MS, 'confirms'), ['ack', 'nack'], 'x-max-length=3 reject-publish still applies');
    });

    test(`a message routed to two durable queues and acked in one stays only in the other after ${how}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: each queue's copy of a shared message is settled on its own: acking it in one
      // queue neither loses it from the other nor brings it back in the first (after kill -9, a
      // just-acked copy may come back there, but only redelivered).
      const s = await Scenario.start(t);
      const ch = await s.channel();
      const fan = uniqueName('x-shared');
      const [q1, q2] = [uniqueName('shared-acked'), uniqueName('shared-kept')];
      await ch.assertExchange(fan, 'fanout', { durable: true });
      for (const q of [q1, q2]) {
        await ch.assertQueue(q, { durable: true });
        await ch.bindQueue(q, fan, '');
      }
      const sent = bodies('shared', 20);
      await publishConfirmed(s, fan, '', sent);
      const acked = await readAll(s, q1); // consumed and acked from q1 only
      assert.equal(acked.length, 20);
      await s.restart(mode);
      await assertQueueHolds(s, q2, fresh(sent), 'the queue whose copies were not acked');
      const back = (await readAll(s, q1)).map(label);
      if (mode === 'graceful') assert.deepEqual(back, [], `copies acked in ${q1} came back after ${s.when}`);
      else assert.ok(back.every((m) => m.endsWith('(redelivered)')), `copies acked in ${q1} may come back after kill -9 only redelivered: ${JSON.stringify(back)}`);
    });

    test(`messages dropped by x-max-length (drop-head) stay dropped after ${how}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // Proves: a message the length limit pushed out of the head of the queue is settled for
      // good, like an ack: only the newest x-max-length messages come back.
      const s = await Scenario.start(t);
      const q = uniqueName('max-length');
      await (await s.channel()).assertQueue(q, { durable: true, arguments: { 'x-max-length': 3 } });
      const sent = bodies('m', 8);
      await publishConfirmed(s, '', q, sent);
      assert.equal(await messageCount(s, q), 3, 'x-max-length 3 holds 3 before the restart');
      await s.restart(mode);
      await assertQueueHolds(s, q, fresh(sent.slice(-3)), 'the newest 3 messages');
    });
  }

  test('acked, auto-acked and rejected messages never come back after a graceful restart', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves: every way a message leaves a queue for good (basic.ack single and multiple,
    // basic.get no-ack, consume no-ack, basic.reject / basic.nack without requeue) is kept by a
    // graceful stop; the one message left comes back as it was. (For kill -9 see the redelivered
    // test: an acked message may come back there only with redelivered=true.)
    const s = await Scenario.start(t);
    const q = uniqueName('acked');
    await (await s.channel()).assertQueue(q, { durable: true });
    await publishConfirmed(s, '', q, bodies('m', 9));
    const conn = await s.connect();
    const ch = await openChannel(conn);
    const ack1 = await getOne(ch, q, { noAck: false }); // m-1: get + ack
    ch.ack(ack1);
    assert.equal((await getOne(ch, q, { noAck: true })).content.toString(), 'm-2'); // get no-ack
    const rej = await getOne(ch, q, { noAck: false }); // m-3: reject, no requeue
    ch.reject(rej, false);
    const nack = await getOne(ch, q, { noAck: false }); // m-4: nack, no requeue
    ch.nack(nack, false, false);
    const a5 = await getOne(ch, q, { noAck: false }); // m-5, m-6: ack multiple
    const a6 = await getOne(ch, q, { noAck: false });
    assert.deepEqual([a5, a6].map(label), ['m-5', 'm-6']);
    ch.ack(a6, true);
    const auto = await openChannel(conn);
    await auto.prefetch(0);
    const { tag, inbox } = await consume(auto, q, { noAck: true }); // m-7 … m-9 consumed no-ack
    await inbox.waitFor(3);
    await auto.cancel(tag);
    // one more, left in the queue
    await publishConfirmed(s, '', q, ['left']);
    await closeQuietly(conn); // had anything above not been settled, closing would requeue it
    assert.equal(await messageCount(s, q), 1, 'before the restart only "left" is in the queue');
    await s.restart('graceful');
    await assertQueueHolds(s, q, ['left'], 'settled messages stay settled');
  });

  test('every message confirmed before kill -9 is there after the restart (one queue and fanned out to three)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves the key guarantee deterministically: the broker is killed right after the last
    // basic.ack arrived; every confirmed message is recovered, in order, in every queue it was
    // routed to.
    const s = await Scenario.start(t);
    const ch = await s.channel();
    const q = uniqueName('confirmed');
    const fan = uniqueName('x-fan');
    const fanQueues = [1, 2, 3].map((i) => uniqueName(`fanned-${i}`));
    await ch.assertQueue(q, { durable: true });
    await ch.assertExchange(fan, 'fanout', { durable: true });
    for (const fq of fanQueues) {
      await ch.assertQueue(fq, { durable: true });
      await ch.bindQueue(fq, fan, '');
    }
    const direct = bodies('confirmed', 2000);
    const fanned = bodies('fanned', 300);
    const pub = await openConfirmChannel(await s.connect());
    direct.forEach((b, i) => {
      pub.sendToQueue(q, Buffer.from(b), PERSISTENT);
      if (i % 10 === 0) pub.publish(fan, '', Buffer.from(fanned[i / 10]), PERSISTENT);
    });
    for (let i = direct.length / 10; i < fanned.length; i++) pub.publish(fan, '', Buffer.from(fanned[i]), PERSISTENT);
    await withTimeout(pub.waitForConfirms(), TIMEOUT_MS * 4, 'confirms of 2300 publishes');
    await s.restart('kill'); // at once: nothing but the confirms says the messages are on disk
    await assertQueueHolds(s, q, fresh(direct), 'confirmed messages');
    for (const fq of fanQueues) await assertQueueHolds(s, fq, fresh(fanned), 'confirmed messages fanned out');
  });

  test('state survives consecutive restarts: recovered messages, redelivered flags and acks are kept again', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves: what recovery rebuilds is itself durable (graceful, then kill -9, then graceful),
    // including redelivered flags set by the first stop, and acks made after a recovery.
    const s = await Scenario.start(t);
    const q = uniqueName('twice');
    await (await s.channel()).assertQueue(q, { durable: true });
    await publishConfirmed(s, '', q, bodies('m', 20));
    const conn = await s.connect();
    const ch = await openChannel(conn);
    await ch.prefetch(5);
    const { inbox } = await consume(ch, q, { noAck: false });
    await inbox.waitFor(5); // m-1 … m-5 delivered, left unacked
    await s.restart('graceful');
    assert.equal(await messageCount(s, q), 20, `all 20 are ready after ${s.when}`);
    await s.restart('kill');
    const expected = [...redelivered(bodies('m', 5)), ...fresh(bodies('m', 20).slice(5))];
    await assertQueueHolds(s, q, expected, 'after a graceful restart and then kill -9');
    await s.restart('graceful');
    await assertQueueHolds(s, q, [], 'after acking everything and one more restart');
  });

  test('kill -9 after a checkpoint and segment rotation (150 MiB through the store) loses nothing confirmed', { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
    // Proves: recovery is right when it has to combine a checkpoint with the log after it and
    // the log spans several segment files, some of them reclaimed: 150 persistent 1 MiB
    // messages (past the store's checkpoint interval and its segment size), the first 100
    // consumed and acked, 10 more confirmed, then kill -9, then a graceful restart on top.
    const s = await Scenario.start(t);
    const q = uniqueName('volume');
    await (await s.channel()).assertQueue(q, { durable: true });
    const big = (name: string): Buffer => {
      const b = Buffer.alloc(1024 * 1024, name.charCodeAt(name.length - 1));
      b.write(`${name}|`);
      return b;
    };
    const first = bodies('big', 150);
    const pub = await openConfirmChannel(await s.connect());
    for (const name of first) {
      pub.sendToQueue(q, big(name), PERSISTENT);
      // bound what sits in the client's buffers: wait for confirms every 10 MiB
      if (Number(name.split('-')[1]) % 10 === 0) await withTimeout(pub.waitForConfirms(), TIMEOUT_MS * 4, 'confirms');
    }
    await withTimeout(pub.waitForConfirms(), TIMEOUT_MS * 4, 'confirms');
    const ch = await s.channel();
    await ch.prefetch(10);
    const { tag, inbox } = await consume(ch, q, { noAck: false });
    for (let i = 0; i < 100; i++) ch.ack(await inbox.next(TIMEOUT_MS * 2));
    // the acks freed the prefetch window for some of big-101 … big-110 (how many depends on
    // socket backpressure): every delivery made comes before cancel-ok; they are never acked
    await withTimeout(ch.cancel(tag), TIMEOUT_MS, 'basic.cancel');
    const unacked = inbox.messages.length - 100;
    await withTimeout(ch.close(), TIMEOUT_MS, 'channel close'); // those go back, redelivered
    const later = bodies('later', 10);
    await publishConfirmed(s, '', q, later);
    await s.restart('kill');
    const count = await messageCount(s, q);
    const msgs = await readAll(s, q);
    const nameOf = (m: ConsumeMessage): string => m.content.toString('latin1', 0, 16).split('|')[0];
    const damaged = msgs.filter((m) => nameOf(m).startsWith('big-') && !m.content.equals(big(nameOf(m)))).map(nameOf);
    assert.deepEqual(damaged, [], `every recovered 1 MiB body is intact after ${s.when}`);
    // an acked message may come back after kill -9, but only redelivered
    const ackedBack = new Set(first.slice(0, 100));
    const rest = msgs.filter((m) => !(m.fields.redelivered && ackedBack.has(nameOf(m)))).map((m) => label({ content: Buffer.from(nameOf(m)), fields: m.fields }));
    // the ones delivered but not acked are redelivered
    assert.deepEqual(
      rest,
      [...redelivered(first.slice(100, 100 + unacked)), ...fresh(first.slice(100 + unacked)), ...fresh(later)],
      `after ${s.when}: the 50 unacked and the 10 later messages, in order (queue reported ${count})`,
    );
    await s.restart('graceful');
    assert.equal(await messageCount(s, q), 0, `everything was acked before ${s.when}`);
  });

  test('persistent messages committed with tx.commit survive kill -9 right after commit-ok', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Proves the transactional counterpart of publisher confirms: RabbitMQ sends tx.commit-ok
    // only once the transaction's persistent messages for durable queues are on disk, so a
    // crash right after commit-ok loses none of them. Large transactions (32 MiB), three rounds,
    // so that a broker answering commit-ok before its writes is caught every time.
    const s = await Scenario.start(t);
    for (let round = 1; round <= 3; round++) {
      const q = uniqueName(`tx-${round}`);
      const ch = await s.channel();
      await ch.assertQueue(q, { durable: true });
      await txSelect(ch);
      const sent = bodies(`tx${round}`, 4000);
      for (const b of sent) ch.sendToQueue(q, Buffer.concat([Buffer.from(`${b}|`), Buffer.alloc(8192, 0x74)]), PERSISTENT);
      await txCommit(ch);
      await s.restart('kill');
      const count = await messageCount(s, q);
      assert.equal(count, sent.length, `round ${round}: all ${sent.length} messages committed before kill -9 are back (got ${count}): tx.commit-ok must wait for the store`);
      const msgs = await readAll(s, q);
      assert.deepEqual(
        msgs.map((m) => m.content.toString('latin1', 0, 16).split('|')[0]),
        sent,
        `round ${round}: committed messages, in order`,
      );
    }
  });
});
