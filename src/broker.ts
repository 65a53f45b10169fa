// The Broker owns everything with a lifetime: config, logger, users, vhosts, the AMQP listener and
// the connections on it. start() brings them up in order; stop() closes every connection with
// 320 CONNECTION_FORCED, waits (bounded) for them to go, and closes the listener.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from './admin.js';
import { Connection } from './amqp/connection.js';
import type { BrokerContext } from './amqp/context.js';
import { DirectReplyTo } from './amqp/direct-reply-to.js';
import { UserStore } from './auth/users.js';
import { ResourceMonitor } from './alarms.js';
import { type BrokerConfig, type BrokerOptions, resolveConfig } from './config.js';
import { isDurableBinding, VHost } from './core/vhost.js';
import type { Queue } from './core/queue/queue.js';
import { createLogger, type Logger } from './log.js';
import { DataDir, writeFileAtomic, writeFileAtomicAsync } from './store/data-dir.js';
import { type DefinitionsFile, jsonToTable, tableToJson } from './store/definitions.js';
import { DiskStore } from './store/disk-store.js';
import { MemoryStore } from './store/memory-store.js';
import { type ManagementServer, startManagement } from './mgmt/server.js';
import type { MessageStore } from './store/store.js';
import { existsSync } from 'node:fs';

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
  /** users, vhosts, permissions: what the management API and warrenctl change */
  readonly admin = new Admin(this);
  /** when the broker process started (uptime) */
  readonly startedAt = Date.now();
  private management: ManagementServer | null = null;
  readonly store: MessageStore;
  private readonly dataDir: DataDir;
  private monitor: ResourceMonitor | null = null;
  private server: Server | null = null;
  /** false once stop() began */
  private running = true;
  /**
   * What `warrenctl stop` does: main.ts makes it stop the broker and exit the process; an embedded
   * broker just stops.
   */
  requestStop: () => void = () => {
    void this.stop('stop requested');
  };
  private boundPort = 0;
  private restoring = true;
  private definitionsDirty = false;
  definitionsVersion = 0;
  /** raised resource alarms: name → reason sent in connection.blocked */
  private readonly alarms = new Map<string, string>();

  private constructor(options: BrokerOptions) {
    this.config = resolveConfig(options);
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info');
    this.dataDir = new DataDir(this.config.dataDir);
    this.store = this.config.store === 'memory' ? new MemoryStore() : new DiskStore(this.config.dataDir, this.log);
  }

  /** Starts a broker and resolves once it listens. */
  static async start(options: BrokerOptions = {}): Promise<Broker> {
    const b = new Broker(options);
    b.dataDir.open(); // lock and format check before the store touches anything
    try {
      await b.boot();
    } catch (e) {
      b.dataDir.unlock();
      throw e;
    }
    return b;
  }

  /** The port the AMQP listener is bound to (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  private get definitionsPath(): string {
    return join(this.config.dataDir, 'definitions.json');
  }

  private async boot(): Promise<void> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true });
    const path = this.definitionsPath;
    if (this.store.durable && existsSync(path)) {
      this.importDefinitions(JSON.parse(readFileSync(path, 'utf8')) as DefinitionsFile);
    } else {
      // first boot: RabbitMQ's default vhost and user
      this.addVhost(c.defaultVhost);
      this.users.add(c.defaultUser, c.defaultPass, ['administrator']);
      this.users.setPermissions(c.defaultUser, c.defaultVhost, { configure: '.*', write: '.*', read: '.*' });
    }
    this.recoverMessages();
    this.store.setHolders(() => this.allQueues());
    this.store.setSideWork(() => this.definitionsWork());
    this.restoring = false;
    if (this.store.durable) this.saveDefinitions();
    this.monitor = new ResourceMonitor(c.dataDir, c.diskFreeLimit, c.vmMemoryHighWatermark, this, this.log, c.vmMemoryHighWatermarkPagingRatio);
    this.monitor.start();

    await this.listen();
    this.management = await startManagement(this);
  }

  /** Opens the AMQP listener. */
  private async listen(): Promise<void> {
    const c = this.config;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.boundPort !== 0 ? this.boundPort : c.port, host: c.host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'listener error'));
    this.server = server;
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : c.port;
    this.log.info({ address: c.host ?? '::', port: this.boundPort, dataDir: c.dataDir, version: this.version }, `AMQP listener started on port ${this.boundPort}`);
  }

  /** Is the AMQP side running (rabbitmqctl stop_app / start_app)? */
  get appRunning(): boolean {
    return this.server !== null;
  }

  /** rabbitmqctl stop_app: the AMQP listener closes and every connection is closed (320); the management API stays. */
  async stopApp(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await this.closeConnections(server, 'stop_app');
    this.log.info('AMQP listener stopped (stop_app)');
  }

  /** rabbitmqctl start_app: the AMQP listener opens again (on the port it had, when that was chosen automatically). */
  async startApp(): Promise<void> {
    if (this.server || !this.running) return;
    await this.listen();
  }

  /** Closes the listener and every connection (320 CONNECTION_FORCED), bounded by SHUTDOWN_GRACE_MS. */
  private async closeConnections(server: Server, reason: string): Promise<void> {
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
  }

  /** The management API's TCP port (0 when off). */
  get managementPort(): number {
    return this.management?.port ?? 0;
  }

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name);
    if (!v) {
      v = new VHost(name, this.store, {
        queueDeleted: () => {},
        definitionsChanged: () => this.definitionsChanged(),
      });
      this.vhosts.set(name, v);
      this.definitionsChanged();
    }
    return v;
  }

  /** Deletes a vhost: closes its connections, removes its queues (and their messages), exchanges and permissions. */
  deleteVhost(name: string): void {
    const v = this.vhosts.get(name);
    if (!v) return;
    for (const c of this.connections) if (c.vhostName === name) c.forceClose(`vhost '${name}' is deleted`);
    for (const q of [...v.queues.values()]) v.removeQueue(q);
    this.vhosts.delete(name);
    for (const u of this.users.users.values()) u.permissions.delete(name);
    this.definitionsChanged();
  }

  /** rabbitmqctl reset: every connection closed, every vhost, queue, message and user gone; then the first-boot defaults. */
  async reset(): Promise<void> {
    for (const c of this.connections) c.forceClose('reset');
    for (const name of [...this.vhosts.keys()]) this.deleteVhost(name);
    this.users.users.clear();
    const c = this.config;
    this.addVhost(c.defaultVhost);
    this.users.add(c.defaultUser, c.defaultPass, ['administrator']);
    this.users.setPermissions(c.defaultUser, c.defaultVhost, { configure: '.*', write: '.*', read: '.*' });
    this.definitionsChanged();
    await this.definitionsDurable();
  }

  /** Resolves once every definitions change made so far is on disk (at once with the memory store). */
  definitionsDurable(): Promise<void> {
    if (!this.store.durable) return Promise.resolve();
    return new Promise((resolve, reject) => this.store.sync({ durable: (err) => (err ? reject(err) : resolve()) }));
  }

  // --- definitions ----------------------------------------------------------------------------

  /**
   * Durable definitions changed. definitions.json is rewritten (tmp, fsync, rename, fsync dir) as
   * part of the store's next group commit, so a publisher confirm that follows a declaration implies
   * the declaration is on disk too; a burst of declares costs one write per commit, not one each.
   */
  definitionsChanged(): void {
    if (this.restoring || !this.store.durable) return;
    this.definitionsVersion += 1;
    this.definitionsDirty = true;
    this.store.requestCommit();
  }

  /** The store's side work: write the definitions if they changed since the last write. */
  private definitionsWork(): Promise<void> | undefined {
    if (!this.definitionsDirty || !this.running) return undefined;
    this.definitionsDirty = false;
    const text = `${JSON.stringify(this.exportDefinitions(), null, 2)}\n`;
    return writeFileAtomicAsync(this.definitionsPath, text).catch((e: Error) => {
      this.definitionsDirty = true;
      this.log.error({ err: e.message }, 'cannot write definitions');
    });
  }

  saveDefinitions(): void {
    try {
      writeFileAtomic(this.definitionsPath, `${JSON.stringify(this.exportDefinitions(), null, 2)}\n`);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'cannot write definitions');
    }
  }

  /** Everything that survives a restart, in RabbitMQ's definitions format. */
  exportDefinitions(): DefinitionsFile {
    const d: DefinitionsFile = {
      rabbit_version: '3.10.0',
      rabbitmq_version: '3.10.0',
      product_name: this.product,
      product_version: this.version,
      users: [...this.users.users.values()].map((u) => ({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: u.tags, limits: {} })),
      vhosts: [...this.vhosts.keys()].map((name) => ({ name, limits: [], metadata: {} })),
      permissions: [...this.users.users.values()].flatMap((u) => [...u.permissions].map(([vhost, p]) => ({ user: u.name, vhost, ...p }))),
      topic_permissions: [],
      parameters: [],
      global_parameters: [],
      policies: [],
      queues: [],
      exchanges: [],
      bindings: [],
    };
    for (const v of this.vhosts.values()) {
      for (const q of v.queues.values()) {
        if (!q.durable || q.exclusive) continue;
        d.queues?.push({ name: q.name, vhost: v.name, durable: true, auto_delete: q.autoDelete, arguments: tableToJson(q.arguments) });
      }
      for (const e of v.exchanges.values()) {
        if (!e.durable || e.name === '' || e.name.startsWith('amq.')) continue;
        d.exchanges?.push({ name: e.name, vhost: v.name, type: e.type, durable: true, auto_delete: e.autoDelete, internal: e.internal, arguments: tableToJson(e.settings.arguments) });
      }
      for (const e of v.exchanges.values()) {
        for (const b of e.bindings.values()) {
          if (!isDurableBinding(b)) continue;
          d.bindings?.push({ source: e.name, vhost: v.name, destination: b.destination.name, destination_type: b.destination.kind, routing_key: b.routingKey, arguments: tableToJson(b.arguments) });
        }
      }
    }
    return d;
  }

  /** Loads a definitions file (ours or RabbitMQ's export). */
  importDefinitions(d: DefinitionsFile): void {
    for (const v of d.vhosts ?? []) this.addVhost(v.name);
    for (const u of d.users ?? []) {
      const tags = Array.isArray(u.tags) ? u.tags : u.tags.split(',').filter((t) => t !== '');
      this.users.users.set(u.name, { name: u.name, passwordHash: u.password_hash, tags, permissions: new Map() });
    }
    for (const p of d.permissions ?? []) this.users.setPermissions(p.user, p.vhost, { configure: p.configure, write: p.write, read: p.read });
    for (const e of d.exchanges ?? []) {
      const v = this.addVhost(e.vhost);
      if (v.exchanges.has(e.name)) continue;
      v.declareExchange(e.name, e.type, false, { durable: true, autoDelete: e.auto_delete, internal: e.internal, arguments: jsonToTable(e.arguments) });
    }
    for (const q of d.queues ?? []) {
      const v = this.addVhost(q.vhost);
      if (v.queues.has(q.name)) continue;
      v.createQueue(q.name, { durable: true, exclusive: false, autoDelete: q.auto_delete, arguments: jsonToTable(q.arguments) }, false);
    }
    for (const b of d.bindings ?? []) {
      const v = this.vhosts.get(b.vhost);
      const src = v?.exchanges.get(b.source);
      const dest = b.destination_type === 'queue' ? v?.queues.get(b.destination) : v?.exchanges.get(b.destination);
      if (!v || !src || !dest) continue;
      v.bind(src, dest, b.routing_key, jsonToTable(b.arguments));
    }
  }

  /** Hands what the store recovered to the queues; durable queues it did not know get a new store id. */
  private recoverMessages(): void {
    for (const r of this.store.recover()) {
      const v = this.addVhost(r.vhost);
      let q = v.queues.get(r.name);
      if (!q) {
        // the store knew a queue the definitions file missed (a crash between the two): keep it
        this.log.warn({ queue: r.name, vhost: r.vhost }, 'queue recovered from the message store only');
        q = v.createQueue(r.name, { durable: true, exclusive: false, autoDelete: r.autoDelete, arguments: r.arguments }, false);
      }
      if (q.storeId !== 0) continue;
      q.recover(r);
      if (r.count > 0) this.log.info({ queue: r.name, vhost: r.vhost, messages: r.count }, 'queue recovered');
    }
    for (const v of this.vhosts.values()) for (const q of v.queues.values()) if (q.durable && !q.exclusive) q.persist();
  }

  private *allQueues(): IterableIterator<Queue> {
    for (const v of this.vhosts.values()) yield* v.queues.values();
  }

  // --- alarms ---------------------------------------------------------------------------------

  setAlarm(name: string, reason: string): void {
    if (this.alarms.has(name)) return;
    const wasBlocked = this.alarms.size > 0;
    this.alarms.set(name, reason);
    this.log.warn({ alarm: name, reason }, 'resource alarm set: blocking publishers');
    if (!wasBlocked) for (const c of this.connections) c.block(reason);
  }

  clearAlarm(name: string): void {
    if (!this.alarms.delete(name)) return;
    this.log.info({ alarm: name }, 'resource alarm cleared');
    if (this.alarms.size === 0) for (const c of this.connections) c.unblock();
  }

  get blockedReason(): string | null {
    const first = this.alarms.values().next();
    return first.done ? null : first.value;
  }

  private accept(socket: Socket): void {
    const conn = new Connection(this, socket, (c) => this.connections.delete(c));
    this.connections.add(conn);
    const reason = this.blockedReason;
    if (reason !== null) conn.block(reason);
  }

  /**
   * Raises a manual resource alarm: every connection gets connection.blocked (if its client supports
   * it) and a connection that publishes is no longer read until unblock(). Consumers keep flowing.
   */
  block(reason: string): void {
    this.setAlarm('manual', reason);
  }

  /** Clears the manual alarm. */
  unblock(): void {
    this.clearAlarm('manual');
  }

  /** Closes every connection (320 CONNECTION_FORCED), then the listener. */
  async stop(reason = 'shutdown'): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const server = this.server;
    this.server = null;
    await this.management?.stop();
    this.management = null;
    if (server) await this.closeConnections(server, reason);
    this.monitor?.stop();
    await this.store.close();
    if (this.store.durable) this.saveDefinitions();
    this.dataDir.unlock();
    this.log.info('broker stopped');
  }
}
