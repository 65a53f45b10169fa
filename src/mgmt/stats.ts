// Message rates for the management API. RabbitMQ's *_details {rate} are per-second rates of
// counters over its statistics interval (collect_statistics_interval, 5 s). A timer samples the
// counters that already exist (queue stats, channel and exchange counters, socket bytes) every
// interval and keeps the last sample and rate per object in a WeakMap: nothing is done per message,
// and an object that goes away takes its sample with it.
import type { Channel } from '../amqp/channel.js';
import type { Connection } from '../amqp/connection.js';
import type { Broker } from '../broker.js';
import type { Exchange } from '../core/exchange/index.js';
import type { Queue } from '../core/queue/queue.js';
import type { VHost } from '../core/vhost.js';

/** Sampling interval; tests may shorten it before starting a broker. */
export const statsConfig = { intervalMs: 5000 };

/** Indexes into a queue's counter sample. */
export const Q = { publish: 0, deliverGet: 1, ack: 2, redeliver: 3, messages: 4, ready: 5, unacked: 6, deliver: 7, get: 8 } as const;
/** Indexes into an exchange's sample. */
export const X = { publishIn: 0, publishOut: 1 } as const;
/** Indexes into a connection's sample. */
export const C = { recvOct: 0, sendOct: 1 } as const;
/** Indexes into a channel's sample. */
export const CH = { publish: 0, deliverGet: 1, ack: 2 } as const;
/** Indexes into a vhost's (and the whole broker's) totals. */
export const T = { messages: 0, ready: 1, unacked: 2, publish: 3, deliverGet: 4, ack: 5, redeliver: 6, recvOct: 7, sendOct: 8 } as const;

export function queueCounters(q: Queue): number[] {
  const s = q.stats;
  return [s.published, s.delivered + s.gets, s.acked, s.redelivered, q.messageCount + q.unacked, q.messageCount, q.unacked, s.delivered, s.gets];
}

export function exchangeCounters(e: Exchange): number[] {
  return [e.publishIn, e.publishOut];
}

export function connectionCounters(c: Connection): number[] {
  return [c.socket.bytesRead, c.socket.bytesWritten];
}

export function channelCounters(ch: Channel): number[] {
  return [ch.publishCount, ch.deliverGetCount, ch.ackCount];
}

/** Sums over a vhost's queues, exchanges and connections (or over the whole broker). */
export function totals(vhosts: Iterable<VHost>, connections: Iterable<Connection>): number[] {
  const t = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const v of vhosts) {
    for (const q of v.queues.values()) {
      const s = q.stats;
      t[T.ready] += q.messageCount;
      t[T.unacked] += q.unacked;
      t[T.deliverGet] += s.delivered + s.gets;
      t[T.ack] += s.acked;
      t[T.redeliver] += s.redelivered;
    }
    for (const e of v.exchanges.values()) t[T.publish] += e.publishIn;
  }
  t[T.messages] = (t[T.ready] as number) + (t[T.unacked] as number);
  for (const c of connections) {
    t[T.recvOct] += c.socket.bytesRead;
    t[T.sendOct] += c.socket.bytesWritten;
  }
  return t;
}

interface Sample {
  at: number;
  values: number[];
  rates: number[];
}

export class RateSampler {
  private readonly samples = new WeakMap<object, Sample>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly broker: Broker) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), statsConfig.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The per-second rate of counter `i` of `obj` over the last interval (0 before two samples). */
  rate(obj: object, i: number): number {
    return this.samples.get(obj)?.rates[i] ?? 0;
  }

  private observe(obj: object, values: number[], now: number): void {
    const prev = this.samples.get(obj);
    if (prev === undefined) {
      this.samples.set(obj, { at: now, values, rates: values.map(() => 0) });
      return;
    }
    const dt = (now - prev.at) / 1000;
    if (dt <= 0) return;
    const rates = values.map((v, i) => round((v - (prev.values[i] ?? 0)) / dt));
    this.samples.set(obj, { at: now, values, rates });
  }

  tick(): void {
    const now = Date.now();
    const b = this.broker;
    for (const v of b.vhosts.values()) {
      for (const q of v.queues.values()) this.observe(q, queueCounters(q), now);
      for (const e of v.exchanges.values()) this.observe(e, exchangeCounters(e), now);
      const conns = [...b.connections].filter((c) => c.vhostName === v.name);
      this.observe(v, totals([v], conns), now);
    }
    for (const c of b.connections) {
      this.observe(c, connectionCounters(c), now);
      for (const ch of c.openChannels) this.observe(ch, channelCounters(ch), now);
    }
    this.observe(b, totals(b.vhosts.values(), b.connections), now);
  }
}

/** RabbitMQ reports rates with one decimal. */
function round(n: number): number {
  return Math.round(n * 10) / 10;
}
