// One client connection: protocol header, handshake (start / tune / open), the channel table, the
// single error path, heartbeats, both close handshakes and backpressure. Frames arrive from the
// FrameReader synchronously; every error raised while handling one ends up in fail().
import type { Socket } from 'node:net';
import type { User } from '../auth/users.js';
import { loopbackAllowed } from '../auth/loopback.js';
import { FRAME_MIN_SIZE } from '../config.js';
import type { FlowListener, Queue } from '../core/queue/queue.js';
import type { VHost } from '../core/vhost.js';
import {
  AmqpError,
  accessRefused,
  channelError,
  commandInvalid,
  connectionForced,
  frameError,
  internalError,
  notAllowed,
  erlangBinary,
  frameDescription,
  unexpectedFrame,
} from '../errors.js';
import type { Logger } from '../log.js';
import { Outbound } from '../net/outbound.js';
import { ByteReader, FrameSyntaxError, UnknownFieldTypeError } from '../protocol/byte-reader.js';
import { type FieldTable, isFieldTable } from '../protocol/field-value.js';
import { BadFrameEndError, FrameReader, FrameTooLargeError, type FrameSink } from '../protocol/frame-reader.js';
import { FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD } from '../protocol/generated/constants.js';
import { type AnyMethod, decodeMethod, M, UnknownMethodError } from '../protocol/generated/methods.js';
import { Channel } from './channel.js';
import type { BrokerContext } from './context.js';
import { MECHANISMS, parseResponse } from './sasl.js';

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
/** The pre-standard header some old clients send for 0-9-1; RabbitMQ accepts it as 0-9-1. */
const LEGACY_HEADER = Buffer.from('AMQP\x01\x01\x00\x09', 'latin1');

/** Thrown where RabbitMQ drops the TCP connection without sending any frame. */
class SilentClose extends Error {}
/** Stop delivering to a connection whose unsent output passes this; resume below half of it. */
const DELIVERY_HIGH_WATER = 1024 * 1024;
/** Stop reading a connection whose unsent output (confirms, returns) passes this. */
const READ_HIGH_WATER = 16 * 1024 * 1024;
/** How long a server-initiated close waits for close-ok before dropping the socket. */
const CLOSE_OK_TIMEOUT_MS = 3000;
/** A refused login is answered this late, to slow down password guessing. */
export const FAILED_LOGIN_DELAY_MS = 500;

type State = 'header' | 'start-ok' | 'tune-ok' | 'open' | 'opened' | 'closing' | 'closed';
/** A channel slot whose close we initiated and whose close-ok has not come yet. */
const CLOSING = 'closing' as const;

export class Connection implements FrameSink, FlowListener {
  readonly out: Outbound;
  readonly peer: string;
  private readonly reader: FrameReader;
  private readonly r = new ByteReader();
  private state: State = 'header';
  private headerBuf: Buffer | null = null;
  frameMax: number;
  channelMax: number;
  heartbeat = 0;
  private readonly channels = new Map<number, Channel | typeof CLOSING>();
  private user: User | null = null;
  /** the impersonator tag as it was at login: RabbitMQ keeps the login-time tags for the connection's life */
  private impersonator = false;
  private vhost: VHost | null = null;
  clientProperties: FieldTable = {};
  private capabilities: FieldTable = {};
  private readonly exclusiveQueues = new Set<Queue>();
  /** queues whose flow control holds our reading (holdForQueue) */
  private readonly flowQueues = new Set<Queue>();
  private readonly confirmQueue: Channel[] = [];
  private throttled = false;
  private currentMethod = 0;
  private readSinceTick = false;
  private silentTicks = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  /** a refused login waits this out before the refusal is sent */
  private loginRefusalTimer: NodeJS.Timeout | null = null;
  private blocked: string | null = null;
  private tornDown = false;
  readonly connectedAt = Date.now();
  private readonly log: Logger;

  constructor(
    readonly ctx: BrokerContext,
    readonly socket: Socket,
    private readonly onClosed: (c: Connection) => void,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort} -> ${socket.localAddress}:${socket.localPort}`;
    this.log = ctx.log.child({ conn: this.peer });
    this.frameMax = ctx.config.frameMax;
    this.channelMax = ctx.config.channelMax;
    this.out = new Outbound(socket, this);
    this.reader = new FrameReader(this, ctx.config.frameMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.afterFlush());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => {
      this.log.warn({ timeoutMs: ctx.config.handshakeTimeout }, 'closing connection: handshake timeout');
      socket.destroy();
    }, ctx.config.handshakeTimeout);
    this.log.info('accepting AMQP connection');
  }

  get username(): string {
    return this.user?.name ?? '';
  }
  get vhostName(): string {
    return this.vhost?.name ?? '';
  }
  vhostRef(): VHost {
    return this.vhost as VHost;
  }

  clientCapability(name: string): boolean {
    return this.capabilities[name] === true;
  }

  // --- input ----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.readSinceTick = true;
    let data = chunk;
    if (this.state === 'header') {
      const got = this.headerBuf ? Buffer.concat([this.headerBuf, chunk]) : chunk;
      if (got.length < 8) {
        this.headerBuf = got;
        return;
      }
      this.headerBuf = null;
      const header = got.subarray(0, 8);
      if (!header.equals(PROTOCOL_HEADER) && !header.equals(LEGACY_HEADER)) {
        // any other protocol or version: answer with the one we speak, then hang up (AMQP 4.2.2)
        this.log.warn({ header: got.subarray(0, 8).toString('latin1') }, 'closing connection: unsupported protocol header');
        this.state = 'closed';
        this.socket.end(PROTOCOL_HEADER);
        return;
      }
      this.sendStart();
      data = got.subarray(8);
      if (data.length === 0) return;
    }
    this.feed(data);
  }

  private feed(data: Buffer): void {
    if (this.state === 'closed') return;
    try {
      this.reader.push(data);
    } catch (e) {
      this.fail(e, 0);
    }
    if (this.out.backlog > READ_HIGH_WATER || this.reader.holding) this.socket.pause();
  }

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): boolean | undefined {
    if (this.state === 'closed') return;
    // during a resource alarm a publish is held unread, with everything after it (RabbitMQ blocks
    // a connection when it publishes, not before)
    if (this.blocked !== null && type === FRAME_METHOD && channel !== 0 && end - start >= 4 && buf.readUInt32BE(start) === M.BasicPublish) {
      return false;
    }
    try {
      if (this.state === 'closing') {
        this.frameWhileClosing(type, channel, buf, start, end);
        return;
      }
      if (type === FRAME_METHOD) {
        if (end - start < 4) throw this.frameFault(type, buf, start, end, 'unknown_frame');
        const m = this.decode(buf, start, end);
        if (channel === 0) this.connectionMethod(m);
        else this.channelMethod(channel, m);
      } else if (type === FRAME_HEADER || type === FRAME_BODY) {
        if (channel === 0) throw unexpectedFrame(frameDescription(type, buf.subarray(start, end))).at(0, 0);
        const ch = this.channels.get(channel);
        if (ch === CLOSING) return;
        if (ch === undefined || this.state !== 'opened') {
          throw unexpectedFrame('expected method frame, got non method frame instead').at(0, 0);
        }
        this.currentMethod = M.BasicPublish; // content belongs to basic.publish, for error replies
        if (type === FRAME_HEADER) ch.handleHeader(buf, start, end);
        else ch.handleBody(buf, start, end);
      } else if (type === FRAME_HEARTBEAT) {
        if (end > start) throw this.frameFault(type, buf, start, end, 'unknown_frame');
        if (channel !== 0) throw unexpectedFrame(frameDescription(type, buf.subarray(start, end))).at(0, 0);
      } else {
        throw this.frameFault(type, buf, start, end, 'unknown_frame');
      }
    } catch (e) {
      this.fail(e, channel);
    }
  }

  /** 501 FRAME_ERROR in RabbitMQ's words: "type 1, all octets = <<0,50>>: unknown_frame". */
  private frameFault(type: number, buf: Buffer, start: number, end: number, reason: string): AmqpError {
    return frameError(`${frameDescription(type, buf.subarray(start, end))}: ${reason}`).at(0, 0);
  }

  private decode(buf: Buffer, start: number, end: number): AnyMethod {
    const id = buf.readUInt32BE(start);
    try {
      const r = this.r.reset(buf, start, end);
      const m = decodeMethod(r);
      if (r.pos !== end) throw new FrameSyntaxError('trailing bytes after the method arguments');
      this.currentMethod = m.id;
      return m;
    } catch (e) {
      // RabbitMQ drops a peer that sends an unknown method or field type without a word
      if (e instanceof UnknownMethodError || e instanceof UnknownFieldTypeError) throw new SilentClose(e.message);
      if (e instanceof FrameSyntaxError) {
        throw frameError(`cannot decode ${erlangBinary(buf.subarray(start + 4, end))}`).at(id >>> 16, id & 0xffff);
      }
      throw e;
    }
  }

  /** While our connection.close awaits close-ok, everything but close / close-ok is discarded. */
  private frameWhileClosing(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type !== FRAME_METHOD || channel !== 0 || end - start < 4) return;
    const id = buf.readUInt32BE(start);
    if (id === M.ConnectionCloseOk) this.finish();
    else if (id === M.ConnectionClose) {
      this.out.method(0, { id: M.ConnectionCloseOk });
      this.finish();
    }
  }

  // --- connection class -----------------------------------------------------------------------

  private sendStart(): void {
    this.state = 'start-ok';
    this.out.method(0, {
      id: M.ConnectionStart,
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: this.serverProperties(),
      mechanisms: Buffer.from(MECHANISMS),
      locales: Buffer.from('en_US'),
    });
  }

  private serverProperties(): FieldTable {
    return {
      capabilities: {
        publisher_confirms: true,
        exchange_exchange_bindings: true,
        'basic.nack': true,
        consumer_cancel_notify: true,
        'connection.blocked': true,
        consumer_priorities: true,
        authentication_failure_close: true,
        per_consumer_qos: true,
        direct_reply_to: true,
      },
      cluster_name: 'warren',
      copyright: 'Copyright (c) the Warren authors',
      information: 'Licensed under the MIT license. An AMQP 0-9-1 broker compatible with RabbitMQ.',
      platform: `Node.js ${process.version}`,
      product: this.ctx.product,
      version: this.ctx.version,
    };
  }

  private connectionMethod(m: AnyMethod): void {
    switch (m.id) {
      case M.ConnectionStartOk:
        if (this.state !== 'start-ok') break;
        this.startOk(m.clientProperties, m.mechanism, m.response);
        return;
      case M.ConnectionTuneOk:
        if (this.state !== 'tune-ok') break;
        this.negotiate(m.channelMax, m.frameMax, m.heartbeat);
        this.state = 'open';
        return;
      case M.ConnectionOpen:
        if (this.state !== 'open') break;
        this.open(m.virtualHost);
        return;
      case M.ConnectionClose:
        this.log.info({ user: this.username, vhost: this.vhostName, replyCode: m.replyCode, replyText: m.replyText }, 'closing AMQP connection (client request)');
        this.teardown();
        this.out.method(0, { id: M.ConnectionCloseOk });
        this.finish();
        return;
      case M.ConnectionUpdateSecret:
        if (this.state !== 'opened') break;
        this.out.method(0, { id: M.ConnectionUpdateSecretOk });
        return;
    }
    // anything else on channel 0: a channel-class method, or a handshake method out of turn
    throw channelError(`unexpected method in connection state ${this.state === 'opened' ? 'running' : this.state}`);
  }

  private startOk(clientProperties: FieldTable, mechanism: string, response: Buffer): void {
    this.clientProperties = clientProperties;
    const caps = clientProperties.capabilities;
    if (isFieldTable(caps)) this.capabilities = caps;
    // an unknown mechanism or an unreadable response: RabbitMQ hangs up without a frame
    if (mechanism !== 'PLAIN' && mechanism !== 'AMQPLAIN') throw new SilentClose(`unsupported authentication mechanism '${mechanism}'`);
    const cred = parseResponse(mechanism, response);
    if (cred === undefined) throw new SilentClose(`malformed ${mechanism} response`);
    const login = this.ctx.users.login(cred.username, cred.password);
    if (!login.ok) {
      this.refuseLogin(mechanism, cred.username, login.reason);
      return;
    }
    // RabbitMQ checks loopback_users only once the password is right
    if (!loopbackAllowed(login.user.name, this.socket.localAddress, this.ctx.config.loopbackUsers)) {
      this.refuseLogin(mechanism, cred.username, `user '${login.user.name}' can only connect via localhost`);
      return;
    }
    this.user = login.user;
    this.impersonator = login.user.tags.includes('impersonator');
    this.state = 'tune-ok';
    this.out.method(0, { id: M.ConnectionTune, channelMax: this.channelMax, frameMax: this.frameMax, heartbeat: this.ctx.config.heartbeat });
  }

  /**
   * A refused login, as RabbitMQ's auth_fail: the reason goes to the log with the peer's address;
   * the client learns only that the login was refused (connection.close 403 if it announced
   * authentication_failure_close, otherwise the socket just closes). The answer comes after
   * FAILED_LOGIN_DELAY_MS, during which nothing more is read from the client, so guessing
   * passwords costs time (RabbitMQ holds a refused socket open for 3 s for the same reason).
   */
  private refuseLogin(mechanism: string, username: string, reason: string): void {
    this.log.warn({ peer: `${this.socket.remoteAddress}:${this.socket.remotePort}`, user: username }, `${mechanism} login refused: ${reason}`);
    this.state = 'closing'; // from here on only a connection.close from the client is heard
    this.socket.pause();
    this.loginRefusalTimer = setTimeout(() => {
      this.loginRefusalTimer = null;
      if (this.state === 'closed') return;
      if (!this.clientCapability('authentication_failure_close')) {
        this.fail(new SilentClose('login refused'), 0);
        return;
      }
      this.socket.resume();
      const err = accessRefused(`Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`).at(0, 0);
      this.sendCloseAndWait(err);
    }, FAILED_LOGIN_DELAY_MS);
  }

  /** tune-ok: the client may lower our limits but not raise them. */
  private negotiate(channelMax: number, frameMax: number, heartbeat: number): void {
    const maxFrame = this.ctx.config.frameMax;
    // RabbitMQ drops a client that asks for more than offered (or for "no limit") without a frame
    if (frameMax < FRAME_MIN_SIZE) throw new SilentClose(`frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`);
    if (frameMax > maxFrame) throw new SilentClose(`frame_max=${frameMax} > ${maxFrame} max size`);
    if (channelMax === 0 || channelMax > this.ctx.config.channelMax) {
      throw new SilentClose(`channel_max=${channelMax} > ${this.ctx.config.channelMax} max size`);
    }
    this.frameMax = frameMax;
    this.channelMax = channelMax;
    this.reader.maxFrameSize = frameMax;
    this.heartbeat = heartbeat;
  }

  private open(vhostName: string): void {
    const vhost = this.ctx.vhosts.get(vhostName);
    const name = (this.user as User).name;
    if (!vhost) throw notAllowed(`vhost ${vhostName} not found`);
    // any permission entry on the vhost (even three empty patterns) grants access, as in RabbitMQ
    const user = this.currentUser();
    if (user === undefined || !this.ctx.users.canAccessVhost(user, vhostName)) {
      throw notAllowed(`access to vhost '${vhostName}' refused for user '${name}'`);
    }
    this.vhost = vhost;
    this.state = 'opened';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.out.method(0, { id: M.ConnectionOpenOk, knownHosts: '' });
    // an alarm raised before this client finished opening is announced now, as RabbitMQ does
    if (this.blocked !== null && this.clientCapability('connection.blocked')) {
      this.out.method(0, { id: M.ConnectionBlocked, reason: this.blocked });
    }
    this.startHeartbeats();
    const client = this.clientProperties.product;
    this.log.info({ user: user.name, vhost: vhostName, client: typeof client === 'string' ? client : undefined }, 'connection opened: user authenticated and granted access to vhost');
  }

  // --- channels -------------------------------------------------------------------------------

  private channelMethod(id: number, m: AnyMethod): void {
    if (this.state !== 'opened') throw channelError(`unexpected method in connection state ${this.state}`);
    const slot = this.channels.get(id);
    if (slot !== undefined && m.id >>> 16 === 10) throw commandInvalid('unimplemented method');
    if (slot === CLOSING) {
      // after our channel.close only close-ok (or a crossing close) matters
      if (m.id === M.ChannelCloseOk) this.channels.delete(id);
      else if (m.id === M.ChannelClose) this.out.method(id, { id: M.ChannelCloseOk });
      return;
    }
    if (slot === undefined) {
      if (m.id !== M.ChannelOpen) throw channelError(`expected 'channel.open'`);
      // RabbitMQ limits how many channels are open, not which numbers they use
      if (this.channels.size >= this.channelMax) {
        throw notAllowed(`number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`).at(0, 0);
      }
      this.channels.set(id, new Channel(this, id));
      this.out.method(id, { id: M.ChannelOpenOk, channelId: Buffer.alloc(0) });
      return;
    }
    if (m.id === M.ChannelOpen) throw channelError(`second 'channel.open' seen`);
    if (m.id === M.ChannelClose) {
      slot.teardown();
      this.channels.delete(id);
      this.out.method(id, { id: M.ChannelCloseOk });
      return;
    }
    if (m.id === M.ChannelCloseOk) throw commandInvalid('unimplemented method'); // nothing of ours to confirm
    slot.handleMethod(m);
  }

  get channelCount(): number {
    return this.channels.size;
  }

  // --- the error path -------------------------------------------------------------------------

  /** Turns anything thrown while handling input into channel.close or connection.close. */
  private fail(e: unknown, channel: number): void {
    if (e instanceof SilentClose) {
      this.log.warn({ reason: e.message }, 'closing connection without a frame');
      this.reader.stopped = true;
      this.state = 'closed';
      this.teardown();
      this.socket.destroy();
      return;
    }
    let err: AmqpError;
    if (e instanceof AmqpError) err = e;
    else if (e instanceof FrameTooLargeError) err = frameError(`type ${e.frameType}, all octets = <<>>: {frame_too_large,${e.payloadSize},${e.limit}}`).at(0, 0);
    else if (e instanceof BadFrameEndError) err = frameError(`${frameDescription(e.frameType, e.payload)}: {invalid_frame_end_marker,${e.marker}}`).at(0, 0);
    else {
      this.log.error({ err: e }, 'internal error while handling a frame');
      err = internalError(e instanceof Error ? e.message : String(e));
    }
    const ch = this.channels.get(channel);
    const method = this.currentMethod;
    if (!err.idsFixed && method !== 0) {
      err.classId = method >>> 16;
      err.methodId = method & 0xffff;
    }
    if (err.hard || channel === 0 || !(ch instanceof Channel)) this.closeWithError(err);
    else {
      this.log.warn({ channel, code: err.code, text: err.replyText, user: this.username, vhost: this.vhostName }, 'channel error');
      ch.teardown();
      this.channels.set(channel, CLOSING);
      this.out.method(channel, { id: M.ChannelClose, replyCode: err.code, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
    }
  }

  /** Server-initiated connection.close; waits (bounded) for the client's close-ok. */
  closeWithError(err: AmqpError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const level = err.code === 320 ? 'info' : 'warn';
    this.log[level]({ code: err.code, text: err.replyText, user: this.username, vhost: this.vhostName }, 'closing AMQP connection (connection error)');
    if (err.code === 501) {
      // the byte stream can no longer be trusted: send the close, read nothing more, hang up
      this.reader.stopped = true;
      this.out.method(0, { id: M.ConnectionClose, replyCode: err.code, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
      this.finish();
      return;
    }
    this.sendCloseAndWait(err);
  }

  private sendCloseAndWait(err: AmqpError): void {
    this.teardown();
    this.out.method(0, { id: M.ConnectionClose, replyCode: err.code, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
    this.state = 'closing';
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS);
  }

  /** Broker shutdown: 320 CONNECTION_FORCED to every client. */
  forceClose(reason: string): void {
    this.closeWithError(connectionForced(`broker forced connection closure with reason '${reason}'`));
  }

  // --- access control -------------------------------------------------------------------------

  /** The user as the store has it now (undefined once deleted): permissions are read live, as RabbitMQ reads them per check. */
  currentUser(): User | undefined {
    return this.user === null ? undefined : this.ctx.users.users.get(this.user.name);
  }

  /** Did the user carry the impersonator tag at login (may publish with another user_id)? */
  get mayImpersonate(): boolean {
    return this.impersonator;
  }

  /**
   * Closes the connection with 320 CONNECTION_FORCED and RabbitMQ's explanation as the whole text,
   * e.g. "CONNECTION_FORCED - user 'x' is deleted" (RabbitMQ's rabbit_reader:shutdown).
   */
  closeForced(explanation: string): void {
    this.closeWithError(connectionForced(explanation));
  }

  // --- exclusive queues -----------------------------------------------------------------------

  ownExclusiveQueue(q: Queue): void {
    this.exclusiveQueues.add(q);
  }

  // --- output and backpressure ----------------------------------------------------------------

  /** Is output backed up so far that consumers here get no more deliveries? */
  outputBlocked(): boolean {
    return this.out.backlog >= DELIVERY_HIGH_WATER;
  }

  /**
   * Flow control: a queue we published into has deliveries lagging behind (Queue.flowLimited).
   * Stop reading until it has caught up; the rest of the current chunk is still processed.
   */
  holdForQueue(q: Queue): void {
    if (this.flowQueues.has(q)) return;
    this.flowQueues.add(q);
    q.holdPublisher(this);
    this.socket.pause();
  }

  /** FlowListener: the queue caught up. */
  queueFlowReleased(q: Queue): void {
    if (!this.flowQueues.delete(q) || this.state === 'closed') return;
    this.maybeResumeReading();
  }

  /** Resumes reading unless something still holds it: output backlog, a held frame, flow control. */
  private maybeResumeReading(): void {
    if (this.socket.isPaused() && !this.reader.holding && this.flowQueues.size === 0 && this.out.backlog < READ_HIGH_WATER / 2) {
      this.socket.resume();
    }
  }

  /** May consumers on this connection receive more? Remembers a refusal to resume later. */
  canWrite(): boolean {
    if (this.out.backlog < DELIVERY_HIGH_WATER) return true;
    this.throttled = true;
    return false;
  }

  queueConfirmFlush(ch: Channel): void {
    this.confirmQueue.push(ch);
    this.out.requestFlush();
  }

  /** Outbound hook: runs just before queued bytes are written. */
  beforeFlush(): void {
    const q = this.confirmQueue;
    for (let i = 0; i < q.length; i++) (q[i] as Channel).flushConfirms();
    q.length = 0;
  }

  /** Outbound hook and socket 'drain': resume reading and throttled deliveries. */
  afterFlush(): void {
    if (this.state === 'closed') return;
    this.maybeResumeReading();
    if (this.throttled && this.out.backlog < DELIVERY_HIGH_WATER / 2) {
      this.throttled = false;
      for (const ch of this.channels.values()) if (ch instanceof Channel) ch.resume();
    }
  }

  /** connection.blocked (resource alarm): publishers stop being read until unblock(). */
  block(reason: string): void {
    if (this.blocked !== null) return;
    this.blocked = reason;
    if (this.state === 'opened' && this.clientCapability('connection.blocked')) {
      this.out.method(0, { id: M.ConnectionBlocked, reason });
    }
  }

  unblock(): void {
    if (this.blocked === null) return;
    this.blocked = null;
    if (this.state === 'opened' && this.clientCapability('connection.blocked')) this.out.method(0, { id: M.ConnectionUnblocked });
    if (this.reader.holding) this.feed(Buffer.alloc(0)); // process the held publish and what followed it
    this.maybeResumeReading();
  }

  // --- heartbeats -----------------------------------------------------------------------------

  /**
   * The timer ticks twice per interval: it sends a heartbeat when we wrote nothing since the last
   * tick, and drops a peer that stayed silent for two whole intervals (four ticks), as RabbitMQ does.
   */
  private startHeartbeats(): void {
    if (this.heartbeat === 0) return;
    this.heartbeatTimer = setInterval(() => {
      if (!this.out.wroteSinceTick) this.out.heartbeat();
      this.out.wroteSinceTick = false;
      // a connection held by an alarm is not read, so its silence is ours, not the peer's
      if (this.readSinceTick || this.reader.holding) this.silentTicks = 0;
      else if (++this.silentTicks >= 4) {
        this.log.warn({ timeoutSec: this.heartbeat, user: this.username }, 'missed heartbeats from client, closing connection');
        this.socket.destroy();
      }
      this.readSinceTick = false;
    }, (this.heartbeat * 1000) / 2);
    this.heartbeatTimer.unref();
  }

  // --- teardown -------------------------------------------------------------------------------

  /** Releases channels (requeueing unacked messages) and exclusive queues. Idempotent. */
  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const ch of this.channels.values()) if (ch instanceof Channel) ch.teardown();
    this.channels.clear();
    for (const q of this.flowQueues) q.forgetPublisher(this);
    this.flowQueues.clear();
    if (this.vhost) for (const q of this.exclusiveQueues) this.vhost.removeQueue(q);
    this.exclusiveQueues.clear();
  }

  /** Sends what is queued and closes the socket. */
  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.reader.stopped = true;
    this.teardown();
    this.out.flush();
    this.out.close();
    this.socket.end();
    // a peer that never closes its side must not keep the socket forever
    setTimeout(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS).unref();
  }

  private onSocketClose(): void {
    this.state = 'closed';
    this.out.close();
    this.teardown();
    for (const t of [this.heartbeatTimer, this.handshakeTimer, this.closeTimer, this.loginRefusalTimer]) if (t) clearTimeout(t);
    this.log.info({ user: this.username, vhost: this.vhostName }, 'connection closed');
    this.onClosed(this);
  }

  // --- management view (read-only state for the management API) ----------------------------

  /** The open channels (not those waiting for our close-ok). */
  get openChannels(): Channel[] {
    const out: Channel[] = [];
    for (const ch of this.channels.values()) if (ch instanceof Channel) out.push(ch);
    return out;
  }

  /** Has the handshake completed, and is the connection not closing? */
  get isOpen(): boolean {
    return this.state === 'opened';
  }

  /** RabbitMQ's connection state: blocked (an alarm holds a publish), blocking (alarm, nothing held yet), flow, closing or running. */
  get managementState(): 'running' | 'blocking' | 'blocked' | 'flow' | 'closing' {
    if (this.state === 'closing' || this.state === 'closed') return 'closing';
    if (this.blocked !== null) return this.reader.holding ? 'blocked' : 'blocking';
    if (this.flowQueues.size > 0) return 'flow';
    return 'running';
  }

  /** Bytes queued for the socket (send_pend). */
  get pendingBytes(): number {
    return this.out.backlog;
  }
}
