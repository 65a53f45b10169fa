// Typed broker configuration with RabbitMQ's defaults. Later issues map rabbitmq.conf keys
// (listeners.tcp.default, heartbeat, frame_max, channel_max, max_message_size, ...) onto this.
import { join } from 'node:path';
import type { Clock } from './core/clock.js';
import type { Logger, LogLevel } from './log.js';

export interface BrokerOptions {
  /** AMQP port; 0 picks a free one (read it back from broker.port). RabbitMQ: listeners.tcp.default */
  port?: number;
  /** interface to listen on; default all interfaces */
  host?: string;
  /** where everything durable lives */
  dataDir?: string;
  logLevel?: LogLevel;
  /** use this logger instead of creating one */
  logger?: Logger;
  /** heartbeat the server proposes in connection.tune, seconds (RabbitMQ: heartbeat = 60) */
  heartbeat?: number;
  /** frame_max the server proposes (RabbitMQ: frame_max = 131072) */
  frameMax?: number;
  /** channel_max the server proposes (RabbitMQ 3.10: channel_max = 2047) */
  channelMax?: number;
  /** largest accepted message body in bytes (RabbitMQ 3.10: max_message_size = 128 MiB) */
  maxMessageSize?: number;
  /** ms a new connection may take to finish the handshake (RabbitMQ: handshake_timeout = 10000) */
  handshakeTimeout?: number;
  /** default vhost created on first boot (RabbitMQ: default_vhost) */
  defaultVhost?: string;
  /** default user created on first boot (RabbitMQ: default_user / default_pass) */
  defaultUser?: string;
  defaultPass?: string;
  /** block publishers when the data dir's filesystem has fewer free bytes (RabbitMQ: disk_free_limit, 50 MB) */
  diskFreeLimit?: number;
  /** block publishers above this memory use: a fraction of RAM (≤ 1) or bytes (RabbitMQ: vm_memory_high_watermark, 0.4) */
  vmMemoryHighWatermark?: number;
  /** page transient messages out above this share of the high watermark (RabbitMQ: vm_memory_high_watermark_paging_ratio, 0.5) */
  vmMemoryHighWatermarkPagingRatio?: number;
  /** 'disk' (default): durable storage in dataDir; 'memory': nothing survives a restart */
  store?: 'disk' | 'memory';
  /** management HTTP API port (RabbitMQ: management.tcp.port = 15672); 0 = off, 'auto' = any free port */
  managementPort?: number | 'auto';
  /** interface the management listener binds (RabbitMQ: management.tcp.ip); default all interfaces */
  managementHost?: string;
  /**
   * The management API on a Unix socket for warrenctl (like rabbitmqctl's cookie: only the broker's
   * OS user can open it; no password). true (default): <dataDir>/warren.sock; a string: that path;
   * false: off.
   */
  managementSocket?: boolean | string;
  /** users that may only connect from loopback addresses (RabbitMQ: loopback_users, default guest) */
  loopbackUsers?: string[];
  /** ms a delivery may stay unacked before its consumer is cancelled (RabbitMQ: consumer_timeout, 30 min) */
  consumerTimeout?: number;
  /** AMQP over TLS (RabbitMQ: listeners.ssl.default + ssl_options.*); off unless set */
  tls?: TlsOptions;
  /** the management API over TLS (RabbitMQ: management.ssl.*); off unless set */
  managementTls?: TlsOptions;
  /** a definitions file loaded at boot (RabbitMQ: load_definitions) */
  loadDefinitions?: string;
  /** time source for TTLs, expiry, delays and consumer timeouts (tests pass a ManualClock) */
  clock?: Clock;
}

/** A TLS listener, RabbitMQ's ssl_options.* */
export interface TlsOptions {
  port: number;
  host?: string;
  certfile: string;
  keyfile: string;
  cacertfile?: string;
  /** verify_peer: ask for a client certificate and check it against cacertfile */
  verify?: 'verify_peer' | 'verify_none';
  /** with verify_peer: refuse clients that present no certificate */
  failIfNoPeerCert?: boolean;
}

export interface BrokerConfig {
  port: number;
  host: string | undefined;
  dataDir: string;
  heartbeat: number;
  frameMax: number;
  channelMax: number;
  maxMessageSize: number;
  handshakeTimeout: number;
  defaultVhost: string;
  defaultUser: string;
  defaultPass: string;
  diskFreeLimit: number;
  vmMemoryHighWatermark: number;
  vmMemoryHighWatermarkPagingRatio: number;
  store: 'disk' | 'memory';
  managementPort: number | 'auto';
  managementHost: string | undefined;
  /** the Unix socket path, or null when off */
  managementSocket: string | null;
  loopbackUsers: string[];
  consumerTimeout: number;
  tls: TlsOptions | undefined;
  managementTls: TlsOptions | undefined;
  loadDefinitions: string | undefined;
}

/** The smallest frame_max a client may negotiate (RabbitMQ's ?FRAME_MIN_SIZE). */
export const FRAME_MIN_SIZE = 4096;

export function resolveConfig(o: BrokerOptions): BrokerConfig {
  const dataDir = o.dataDir ?? './data';
  const sock = o.managementSocket ?? true;
  return {
    port: o.port ?? 5672,
    host: o.host,
    dataDir,
    heartbeat: o.heartbeat ?? 60,
    frameMax: o.frameMax ?? 131072,
    channelMax: o.channelMax ?? 2047,
    maxMessageSize: o.maxMessageSize ?? 128 * 1024 * 1024,
    handshakeTimeout: o.handshakeTimeout ?? 10_000,
    defaultVhost: o.defaultVhost ?? '/',
    defaultUser: o.defaultUser ?? 'guest',
    defaultPass: o.defaultPass ?? 'guest',
    diskFreeLimit: o.diskFreeLimit ?? 50_000_000,
    vmMemoryHighWatermark: o.vmMemoryHighWatermark ?? 0.4,
    vmMemoryHighWatermarkPagingRatio: o.vmMemoryHighWatermarkPagingRatio ?? 0.5,
    store: o.store ?? 'disk',
    managementPort: o.managementPort ?? 15672,
    managementHost: o.managementHost,
    managementSocket: sock === true ? join(dataDir, 'warren.sock') : sock === false ? null : sock,
    loopbackUsers: o.loopbackUsers ?? ['guest'],
    consumerTimeout: o.consumerTimeout ?? 1_800_000,
    tls: o.tls,
    managementTls: o.managementTls,
    loadDefinitions: o.loadDefinitions,
  };
}
