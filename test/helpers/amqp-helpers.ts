// Small helpers for the amqplib integration tests (test/integration/amqplib-*.test.ts).
//
// Everything here is bounded by a timeout: waiting for messages, for a channel or connection to
// close, for a consumer to be cancelled. amqplib drops the class id / method id of a server-sent
// connection.close, so `connect` watches channel 0 for that frame to let tests assert them too.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Message, Options } from 'amqplib';
import { uniqueName } from './broker.js';

/** Default bound for anything the tests wait for. */
export const TIMEOUT_MS = 5000;
/** How long to watch for something that must NOT happen (e.g. a message that must not arrive). */
export const QUIET_MS = 250;

/** AMQP method ids as amqplib numbers them: (class id << 16) | method id. */
export const METHOD = {
  ConnectionClose: (10 << 16) | 50,
  ChannelFlow: (20 << 16) | 20,
  ChannelFlowOk: (20 << 16) | 21,
  BasicQos: (60 << 16) | 10,
  BasicQosOk: (60 << 16) | 11,
  BasicRecoverAsync: (60 << 16) | 100,
  BasicRecover: (60 << 16) | 110,
  BasicRecoverOk: (60 << 16) | 111,
  BasicPublish: (60 << 16) | 40,
  ConfirmSelect: (85 << 16) | 10,
  ConfirmSelectOk: (85 << 16) | 11,
  TxSelect: (90 << 16) | 10,
  TxSelectOk: (90 << 16) | 11,
  TxCommit: (90 << 16) | 20,
  TxCommitOk: (90 << 16) | 21,
  TxRollback: (90 << 16) | 30,
  TxRollbackOk: (90 << 16) | 31,
} as const;

/** What the server said when it closed a channel or a connection. */
export interface ServerClose {
  code: number;
  text: string;
  classId: number;
  methodId: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with a descriptive error if `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Retries `fn` until it returns without throwing, for at most `ms`; for state with no event to await. */
export async function eventually<T>(fn: () => Promise<T>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen within ${ms} ms; last error: ${String(last)}`);
    }
    await sleep(20);
  }
}

/** The reply text inside an amqplib error message: `... with message "TEXT"`. */
export function replyTextOf(err: unknown): string | undefined {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /with message "([\s\S]*)"$/.exec(msg);
  return m ? m[1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// connections and channels with close tracking

interface CloseState {
  info: ServerClose | null;
  isClosed: boolean;
  closed: Promise<ServerClose | null>;
}

const connStates = new WeakMap<ChannelModel, CloseState>();
const chanStates = new WeakMap<Channel, CloseState>();

/** Connects with amqplib; tracks the server's connection.close (code, text, class and method id). */
export async function connect(url: string): Promise<ChannelModel> {
  const conn = await withTimeout(amqp.connect(url), TIMEOUT_MS, `connection to ${url}`);
  let resolveClosed!: (v: ServerClose | null) => void;
  const state: CloseState = {
    info: null,
    isClosed: false,
    closed: new Promise((resolve) => {
      resolveClosed = resolve;
    }),
  };
  connStates.set(conn, state);
  // amqplib reports only the reply code and text of a connection.close; read the frame itself
  // on channel 0 to get the class and method ids as well.
  const internal = conn.connection as unknown as { channels?: Array<{ channel: { accept: (f: unknown) => unknown } } | null> };
  const ch0 = internal.channels?.[0]?.channel;
  if (ch0 && typeof ch0.accept === 'function') {
    const accept = ch0.accept;
    ch0.accept = (f: unknown) => {
      const frame = f as { id?: number; fields?: { replyCode: number; replyText: string; classId: number; methodId: number } };
      if (frame && frame.id === METHOD.ConnectionClose && frame.fields) {
        state.info = {
          code: frame.fields.replyCode,
          text: frame.fields.replyText,
          classId: frame.fields.classId,
          methodId: frame.fields.methodId,
        };
      }
      return accept(f);
    };
  }
  conn.on('error', () => {
    /* recorded through the close frame; without a listener amqplib would throw */
  });
  conn.on('close', () => {
    state.isClosed = true;
    resolveClosed(state.info);
  });
  return conn;
}

function trackChannel<C extends Channel>(ch: C): C {
  let resolveClosed!: (v: ServerClose | null) => void;
  const state: CloseState = {
    info: null,
    isClosed: false,
    closed: new Promise((resolve) => {
      resolveClosed = resolve;
    }),
  };
  chanStates.set(ch, state);
  ch.on('error', (err: Error & { code?: number; classId?: number; methodId?: number }) => {
    state.info = {
      code: err.code ?? -1,
      text: replyTextOf(err) ?? err.message,
      classId: err.classId ?? -1,
      methodId: err.methodId ?? -1,
    };
  });
  ch.on('close', () => {
    state.isClosed = true;
    resolveClosed(state.info);
  });
  return ch;
}

/** Opens a channel whose server-side close is recorded (and does not crash the process). */
export async function openChannel(conn: ChannelModel): Promise<Channel> {
  return trackChannel(await withTimeout(conn.createChannel(), TIMEOUT_MS, 'channel.open'));
}

/** Opens a channel in confirm mode (confirm.select), tracked like openChannel. */
export async function openConfirmChannel(conn: ChannelModel): Promise<ConfirmChannel> {
  return trackChannel(await withTimeout(conn.createConfirmChannel(), TIMEOUT_MS, 'confirm channel open'));
}

export function isChannelClosed(ch: Channel): boolean {
  return chanStates.get(ch)?.isClosed ?? false;
}

export function isConnectionClosed(conn: ChannelModel): boolean {
  return connStates.get(conn)?.isClosed ?? false;
}

/** Resolves when the channel has closed: with what the server said, or null for a client close. */
export function channelClosed(ch: Channel, ms = TIMEOUT_MS): Promise<ServerClose | null> {
  const state = chanStates.get(ch);
  assert.ok(state, 'channel was not opened with openChannel/openConfirmChannel');
  return withTimeout(state.closed, ms, 'channel close');
}

/** Resolves when the connection has closed: with the server's connection.close, or null. */
export function connectionClosed(conn: ChannelModel, ms = TIMEOUT_MS): Promise<ServerClose | null> {
  const state = connStates.get(conn);
  assert.ok(state, 'connection was not opened with connect()');
  return withTimeout(state.closed, ms, 'connection close');
}

/**
 * Runs `action` and expects the server to close the channel (channel.close) with exactly
 * `expected`. If the action is an RPC (returns a promise), that promise must reject with the
 * same code and reply text. The connection itself must stay open.
 */
export async function expectChannelError(
  ch: Channel,
  action: () => unknown,
  expected: ServerClose,
  conn?: ChannelModel,
): Promise<void> {
  const result = action();
  if (result instanceof Promise) {
    const err = await withTimeout(
      result.then(
        () => {
          throw new assert.AssertionError({ message: `expected the operation to fail with ${expected.code}` });
        },
        (e: unknown) => e,
      ),
      TIMEOUT_MS,
      'failing RPC',
    );
    const e = err as Error & { code?: number };
    assert.equal(e.code, expected.code, `rejection code (${e.message})`);
    assert.equal(replyTextOf(e), expected.text, 'rejection reply text');
  }
  const closed = await channelClosed(ch);
  assert.deepEqual(closed, expected, 'channel.close from the server');
  if (conn) {
    assert.equal(isConnectionClosed(conn), false, 'a channel error must not close the connection');
  }
}

/**
 * Runs `action` and expects the server to close the whole connection (connection.close) with
 * exactly `expected`. An RPC in flight is rejected because its channel ends with the connection.
 */
export async function expectConnectionError(conn: ChannelModel, action: () => unknown, expected: ServerClose): Promise<void> {
  const result = action();
  if (result instanceof Promise) {
    await withTimeout(
      result.then(
        () => {
          throw new assert.AssertionError({ message: `expected the connection to close with ${expected.code}` });
        },
        () => undefined,
      ),
      TIMEOUT_MS,
      'RPC ended by connection close',
    );
  }
  const closed = await connectionClosed(conn);
  assert.deepEqual(closed, expected, 'connection.close from the server');
}

/** Closes a connection if still open, never throwing, bounded. */
export async function closeQuietly(conn: ChannelModel): Promise<void> {
  if (isConnectionClosed(conn)) return;
  try {
    await withTimeout(conn.close(), TIMEOUT_MS, 'connection close');
  } catch {
    /* already closed or closing */
  }
}

// ---------------------------------------------------------------------------------------------
// messages

/** Collects a consumer's deliveries; lets a test await the N-th one with a timeout. */
export class Inbox {
  readonly messages: ConsumeMessage[] = [];
  /** set when the server cancelled the consumer (amqplib calls the callback with null) */
  cancelled = false;
  private readonly listeners = new Set<() => void>();
  private readIndex = 0;

  readonly onMessage = (msg: ConsumeMessage | null): void => {
    if (msg === null) this.cancelled = true;
    else this.messages.push(msg);
    for (const l of [...this.listeners]) l();
  };

  /** Calls `fn` after every delivery or cancel; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private until(pred: () => boolean, ms: number, what: string): Promise<void> {
    return waitUntil([this], pred, ms, what);
  }

  /** Waits until at least n messages have arrived; returns all received so far. */
  async waitFor(n: number, ms = TIMEOUT_MS): Promise<ConsumeMessage[]> {
    await this.until(() => this.messages.length >= n, ms, `${n} message(s) (got ${this.messages.length})`);
    return this.messages;
  }

  /** The next message not yet returned by next(). */
  async next(ms = TIMEOUT_MS): Promise<ConsumeMessage> {
    const i = this.readIndex;
    await this.until(() => this.messages.length > i, ms, `message #${i + 1}`);
    this.readIndex = i + 1;
    return this.messages[i];
  }

  /** Waits for the server's basic.cancel. */
  async waitCancelled(ms = TIMEOUT_MS): Promise<void> {
    await this.until(() => this.cancelled, ms, 'server-sent basic.cancel');
  }

  /** Proves that no further message arrives within `ms` (the only place a fixed wait is used). */
  async expectQuiet(ms = QUIET_MS): Promise<void> {
    const before = this.messages.length;
    await sleep(ms);
    assert.equal(this.messages.length, before, 'no further message expected');
  }

  bodies(): string[] {
    return this.messages.map((m) => m.content.toString());
  }
}

/** Resolves once `pred` holds, re-checking after each delivery to any of `inboxes`. */
function waitUntil(inboxes: Inbox[], pred: () => boolean, ms: number, what: string): Promise<void> {
  if (pred()) return Promise.resolve();
  let unsubscribe: Array<() => void> = [];
  return withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (pred()) resolve();
      };
      unsubscribe = inboxes.map((i) => i.subscribe(check));
    }),
    ms,
    what,
  ).finally(() => {
    for (const u of unsubscribe) u();
  });
}

/** Waits until the inboxes together hold at least n messages. */
export function waitTotal(inboxes: Inbox[], n: number, ms = TIMEOUT_MS): Promise<void> {
  const total = (): number => inboxes.reduce((acc, i) => acc + i.messages.length, 0);
  return waitUntil(inboxes, () => total() >= n, ms, `${n} deliveries in total (got ${total()})`);
}

/** basic.consume into an Inbox; returns the consumer tag the server confirmed. */
export async function consume(ch: Channel, queue: string, options: Options.Consume = {}): Promise<{ tag: string; inbox: Inbox }> {
  const inbox = new Inbox();
  const ok = await withTimeout(ch.consume(queue, inbox.onMessage, options), TIMEOUT_MS, `basic.consume ${queue}`);
  return { tag: ok.consumerTag, inbox };
}

/** basic.get that must return a message. */
export async function getOne(ch: Channel, queue: string, options: Options.Get = {}): Promise<GetMessage> {
  const m = await withTimeout(ch.get(queue, options), TIMEOUT_MS, `basic.get ${queue}`);
  assert.ok(m, `expected a message from basic.get on ${queue}, got get-empty`);
  return m;
}

/** basic.get that must return get-empty. */
export async function expectEmpty(ch: Channel, queue: string): Promise<void> {
  const m = await withTimeout(ch.get(queue, { noAck: true }), TIMEOUT_MS, `basic.get ${queue}`);
  assert.equal(m, false, `expected get-empty on ${queue}, got ${m ? m.content.toString() : ''}`);
}

/** A message handed back by basic.return (amqplib's types omit the reply fields). */
export interface ReturnedMessage {
  content: Buffer;
  fields: { replyCode: number; replyText: string; exchange: string; routingKey: string };
  properties: Message['properties'];
}

/** Collects basic.return messages of a channel; await the N-th. */
export class Returns {
  readonly messages: ReturnedMessage[] = [];
  private waiters: Array<() => void> = [];
  constructor(ch: Channel) {
    ch.on('return', (m: Message) => {
      this.messages.push(m as unknown as ReturnedMessage);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }
  async waitFor(n: number, ms = TIMEOUT_MS): Promise<ReturnedMessage[]> {
    if (this.messages.length >= n) return this.messages;
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.messages.length >= n) resolve();
          else this.waiters.push(check);
        };
        this.waiters.push(check);
      }),
      ms,
      `${n} basic.return(s) (got ${this.messages.length})`,
    );
    return this.messages;
  }
}

/** Publishes with confirms on a fresh confirm channel and waits for every ack. */
export async function publishConfirmed(
  conn: ChannelModel,
  exchange: string,
  routingKey: string,
  bodies: Array<string | Buffer>,
  options: Options.Publish = {},
): Promise<void> {
  const ch = await openConfirmChannel(conn);
  for (const b of bodies) ch.publish(exchange, routingKey, Buffer.isBuffer(b) ? b : Buffer.from(b), options);
  await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'publisher confirms');
  await withTimeout(ch.close(), TIMEOUT_MS, 'channel close');
}

// ---------------------------------------------------------------------------------------------
// per-test scope: connections, names, cleanup

/**
 * Tracks what a test opens and declares; `cleanup()` closes its connections, then deletes its
 * queues and exchanges from a fresh connection. `scope(t, url)` registers cleanup with t.after.
 */
export class AmqpScope {
  private readonly conns: ChannelModel[] = [];
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();
  private main: ChannelModel | undefined;

  constructor(readonly url: string) {}

  /** A new tracked connection. */
  async connect(): Promise<ChannelModel> {
    const c = await connect(this.url);
    this.conns.push(c);
    return c;
  }

  /** The scope's first connection (opened on demand). */
  async conn(): Promise<ChannelModel> {
    if (!this.main || isConnectionClosed(this.main)) this.main = await this.connect();
    return this.main;
  }

  /** A new channel on `conn` or on the scope's main connection. */
  async channel(conn?: ChannelModel): Promise<Channel> {
    return openChannel(conn ?? (await this.conn()));
  }

  async confirmChannel(conn?: ChannelModel): Promise<ConfirmChannel> {
    return openConfirmChannel(conn ?? (await this.conn()));
  }

  /** A unique queue name, deleted at cleanup. */
  queue(prefix = 'amqplib-q'): string {
    const n = uniqueName(prefix);
    this.queues.add(n);
    return n;
  }

  /** A unique exchange name, deleted at cleanup. */
  exchange(prefix = 'amqplib-x'): string {
    const n = uniqueName(prefix);
    this.exchanges.add(n);
    return n;
  }

  /** Registers a server-named queue (amq.gen-...) for deletion at cleanup. */
  track(queue: string): string {
    this.queues.add(queue);
    return queue;
  }

  async cleanup(): Promise<void> {
    for (const c of this.conns) await closeQuietly(c);
    if (this.queues.size === 0 && this.exchanges.size === 0) return;
    const c = await connect(this.url);
    try {
      let ch = await openChannel(c);
      const run = async (op: (ch: Channel) => Promise<unknown>): Promise<void> => {
        try {
          await withTimeout(op(ch), TIMEOUT_MS, 'cleanup');
        } catch {
          if (isChannelClosed(ch)) ch = await openChannel(c);
        }
      };
      for (const q of this.queues) await run((x) => x.deleteQueue(q));
      for (const e of this.exchanges) await run((x) => x.deleteExchange(e));
    } finally {
      await closeQuietly(c);
    }
  }
}

export function scope(t: TestContext, url: string): AmqpScope {
  const s = new AmqpScope(url);
  t.after(() => s.cleanup());
  return s;
}

/** Options for a transient queue/exchange (amqplib defaults durable to true). */
export const TRANSIENT = { durable: false } as const;

/** Sends an AMQP method amqplib has no API for (tx.*, channel.flow, ...) and awaits its reply. */
export function rawRpc(ch: Channel, method: number, fields: Record<string, unknown>, expect: number): Promise<Record<string, unknown>> {
  const rpc = (ch as unknown as { rpc: (m: number, f: Record<string, unknown>, e: number) => Promise<Record<string, unknown>> }).rpc;
  assert.equal(typeof rpc, 'function', 'amqplib Channel#rpc is needed for methods it has no API for');
  return withTimeout(rpc.call(ch, method, fields, expect), TIMEOUT_MS, `method ${method >> 16}.${method & 0xffff}`);
}

/** Sends an AMQP method that has no reply (e.g. basic.recover-async). */
export function rawSend(ch: Channel, method: number, fields: Record<string, unknown>): void {
  const send = (ch as unknown as { sendImmediately: (m: number, f: Record<string, unknown>) => unknown }).sendImmediately;
  assert.equal(typeof send, 'function', 'amqplib Channel#sendImmediately is needed for methods it has no API for');
  send.call(ch, method, fields);
}

/**
 * basic.publish with explicit properties, bypassing amqplib's option mapping (which, e.g., never
 * sends cluster-id and always sends a headers table).
 */
export function rawPublish(
  ch: Channel,
  fields: { exchange: string; routingKey: string; mandatory?: boolean; immediate?: boolean },
  properties: Record<string, unknown>,
  content: Buffer,
): void {
  const send = (ch as unknown as { sendMessage: (f: unknown, p: unknown, c: Buffer) => boolean }).sendMessage;
  assert.equal(typeof send, 'function', 'amqplib Channel#sendMessage is needed for raw publishes');
  send.call(ch, { mandatory: false, immediate: false, ...fields }, properties, content);
}

export const txSelect = (ch: Channel) => rawRpc(ch, METHOD.TxSelect, {}, METHOD.TxSelectOk);
export const txCommit = (ch: Channel) => rawRpc(ch, METHOD.TxCommit, {}, METHOD.TxCommitOk);
export const txRollback = (ch: Channel) => rawRpc(ch, METHOD.TxRollback, {}, METHOD.TxRollbackOk);
