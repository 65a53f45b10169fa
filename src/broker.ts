// The Broker owns everything with a lifetime: config, logger, users, vhosts, the AMQP listener and
// the connections on it. start() brings them up in order; stop() closes every connection with
// 320 CONNECTION_FORCED, waits (bounded) for them to go, and closes the listener.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from './amqp/connection.js';
import type { BrokerContext } from './amqp/context.js';
import { DirectReplyTo } from './amqp/direct-reply-to.js';
import { UserStore } from './auth/users.js';
import { type BrokerConfig, type BrokerOptions, resolveConfig } from './config.js';
import { VHost } from './core/vhost.js';
import { createLogger, type Logger } from './log.js';

/** How long stop() waits for clients to answer connection.close before dropping them. */
const SHUTDOWN_GRACE_MS = 3000;

function packageVersion(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    for (const p of [join(here, '..', 'package.json'), join(here, '..', '..', 'package.json')]) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'warren' && pkg.version) return pkg.version;
      } catch {
        // try the next candidate
      }
    }
  } catch {
    // fall through
  }
  return '0.0.0';
}

export class Broker implements BrokerContext {
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly users = new UserStore();
  readonly vhosts = new Map<string, VHost>();
  readonly directReplyTo = new DirectReplyTo();
  readonly product = 'Warren';
  readonly version = packageVersion();
  readonly connections = new Set<Connection>();
  private server: Server | null = null;
  private boundPort = 0;

  private constructor(options: BrokerOptions) {
    this.config = resolveConfig(options);
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info');
  }

  /** Starts a broker and resolves once it listens. */
  static async start(options: BrokerOptions = {}): Promise<Broker> {
    const b = new Broker(options);
    await b.boot();
    return b;
  }

  /** The port the AMQP listener is bound to (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  private async boot(): Promise<void> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true });
    this.addVhost(c.defaultVhost);
    this.users.add(c.defaultUser, c.defaultPass, ['administrator']);
    this.users.setPermissions(c.defaultUser, c.defaultVhost, { configure: '.*', write: '.*', read: '.*' });

    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: c.port, host: c.host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'listener error'));
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : c.port;
    this.log.info({ address: c.host ?? '::', port: this.boundPort, dataDir: c.dataDir, version: this.version }, `AMQP listener started on port ${this.boundPort}`);
  }

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name);
    if (!v) {
      v = new VHost(name);
      this.vhosts.set(name, v);
    }
    return v;
  }

  private accept(socket: Socket): void {
    const conn = new Connection(this, socket, (c) => this.connections.delete(c));
    this.connections.add(conn);
    if (this.blockedReason !== null) conn.block(this.blockedReason);
  }

  private blockedReason: string | null = null;

  /**
   * Raises a resource alarm: every connection gets connection.blocked (if its client supports it)
   * and a connection that publishes is no longer read until unblock(). Consumers keep flowing.
   * The memory and disk alarms call this; embedders and tests may too.
   */
  block(reason: string): void {
    this.blockedReason = reason;
    this.log.warn({ reason }, 'resource alarm set: blocking publishers');
    for (const c of this.connections) c.block(reason);
  }

  /** Clears the alarm: connection.unblocked, and blocked publishers are read again. */
  unblock(): void {
    if (this.blockedReason === null) return;
    this.blockedReason = null;
    this.log.info('resource alarm cleared: unblocking publishers');
    for (const c of this.connections) c.unblock();
  }

  /** Closes every connection (320 CONNECTION_FORCED), then the listener. */
  async stop(reason = 'shutdown'): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const waits: Promise<void>[] = [];
    for (const conn of this.connections) {
      waits.push(new Promise<void>((resolve) => conn.socket.once('close', () => resolve())));
      conn.forceClose(reason);
    }
    const timer = setTimeout(() => {
      for (const conn of this.connections) conn.socket.destroy();
    }, SHUTDOWN_GRACE_MS);
    await Promise.all(waits);
    clearTimeout(timer);
    await closed;
    this.log.info('broker stopped');
  }
}
