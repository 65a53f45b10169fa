// The Broker owns everything with a lifetime: config, logger, users, vhosts, the AMQP listener and
// the connections on it. start() brings them up in order; stop() closes every connection with
// 320 CONNECTION_FORCED, waits (bounded) for them to go, and closes the listener.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, AdminError, type VhostMetadata } from './admin.js';
import { type Clock, systemClock } from './core/clock.js';
import { Connection } from './amqp/connection.js';
import type { BrokerContext } from './amqp/context.js';
import { DirectReplyTo } from './amqp/direct-reply-to.js';
import { applyUserDefinitions, DefinitionsError, exportUsers, field, isObject, objects, parseUserDefinitions } from './auth/definitions.js';
import { validPattern } from './auth/permissions.js';
import { hashPassword, UserStore } from './auth/users.js';
import { ResourceMonitor } from './alarms.js';
import { type BrokerConfig, type BrokerOptions, resolveConfig } from './config.js';
import { validateQueueArguments } from './core/arguments.js';
import { isDurableBinding, VHost } from './core/vhost.js';
import { applyToExchange, applyToQueue } from './core/policies.js';
import { DelayedMessageExchange, holdQueueName } from './core/exchange/delayed.js';
import { type Exchange, route } from './core/exchange/index.js';
import type { Message } from './core/message.js';
import { AmqpError } from './errors.js';
import type { FieldTable } from './protocol/field-value.js';
import { ACCEPTED_DURABLE, type Queue } from './core/queue/queue.js';
import { createLogger, type Logger } from './log.js';
import { DataDir, writeFileAtomic, writeFileAtomicAsync } from './store/data-dir.js';
import { type DefinitionsFile, jsonToTable, tableToJson } from './store/definitions.js';
import { DiskStore } from './store/disk-store.js';
import { MemoryStore } from './store/memory-store.js';
import { type ManagementServer, startManagement } from './mgmt/server.js';
import { createTlsServer } from './net/tls.js';
import type { MessageStore } from './store/store.js';
import { existsSync } from 'node:fs';

/** The names of delayed exchanges' hidden hold queues start so (see core/exchange/delayed.ts). */
const HOLD_PREFIX = holdQueueName('');

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
  /** time for TTLs, queue expiry, delayed messages and consumer timeouts */
  readonly clock: Clock;
  /** users, vhosts, permissions: what the management API and warrenctl change */
  readonly admin = new Admin(this);
  /** when the broker process started (uptime) */
  readonly startedAt = Date.now();
  private management: ManagementServer | null = null;
  readonly store: MessageStore;
  private readonly dataDir: DataDir;
  private monitor: ResourceMonitor | null = null;
  private server: Server | null = null;
  /** the AMQPS listener (listeners.ssl), opened and closed with the plain one */
  private tlsServer: TlsServer | null = null;
  private boundTlsPort = 0;
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
    this.clock = options.clock ?? systemClock;
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

  /** The port the AMQPS (TLS) listener is bound to; 0 when there is none. */
  get tlsPort(): number {
    return this.boundTlsPort;
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
    } else if (c.loadDefinitions === undefined) {
      // first boot: RabbitMQ's default vhost and user (not when a definitions file provides them,
      // as RabbitMQ since 3.10 skips them then)
      this.createDefaults();
    }
    // load_definitions: imported at every boot, over what the broker kept, as RabbitMQ does
    if (c.loadDefinitions !== undefined) {
      if (!this.store.durable || !existsSync(path)) this.log.info('not creating the default vhost and user: definitions are loaded from a file');
      this.loadDefinitionsFile(c.loadDefinitions);
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

  /**
   * load_definitions: a definitions JSON file, or a directory whose *.json files are imported in
   * name order. A file that cannot be read or parsed stops the boot, as in RabbitMQ.
   */
  private loadDefinitionsFile(path: string): void {
    const files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(path, f))
      : [path];
    for (const file of files) {
      let defs: DefinitionsFile;
      try {
        defs = JSON.parse(readFileSync(file, 'utf8')) as DefinitionsFile;
      } catch (e) {
        throw new Error(`cannot import definitions from ${file}: ${(e as Error).message}`);
      }
      this.log.info({ file }, `importing definitions from ${file}`);
      this.importDefinitions(defs);
    }
  }

  /** Opens the AMQP listener, and the AMQPS one first when TLS is configured. */
  private async listen(): Promise<void> {
    const c = this.config;
    // TLS first, so that the "AMQP listener started" line (which tools wait for) means both are up
    if (c.tls && !this.tlsServer) await this.listenTls(c.tls);
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    try {
      await listenOn(server, this.boundPort !== 0 ? this.boundPort : c.port, c.host);
    } catch (e) {
      this.tlsServer?.close();
      this.tlsServer = null;
      throw e;
    }
    server.on('error', (err) => this.log.error({ err }, 'listener error'));
    this.server = server;
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : c.port;
    this.log.info({ address: c.host ?? '::', port: this.boundPort, dataDir: c.dataDir, version: this.version }, `AMQP listener started on port ${this.boundPort}`);
  }

  private async listenTls(o: NonNullable<BrokerConfig['tls']>): Promise<void> {
    const server = createTlsServer(o, this.log, (socket) => this.accept(socket));
    await listenOn(server, this.boundTlsPort !== 0 ? this.boundTlsPort : o.port, o.host);
    server.on('error', (err) => this.log.error({ err }, 'TLS listener error'));
    this.tlsServer = server;
    const addr = server.address();
    this.boundTlsPort = typeof addr === 'object' && addr ? addr.port : o.port;
    this.log.info({ address: o.host ?? '::', port: this.boundTlsPort, verify: o.verify ?? 'verify_none', failIfNoPeerCert: o.failIfNoPeerCert ?? false }, `started TLS (SSL) listener on port ${this.boundTlsPort}`);
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
    // the AMQPS listener goes with the plain one
    const tls = this.tlsServer;
    this.tlsServer = null;
    const tlsClosed = tls ? new Promise<void>((resolve) => tls.close(() => resolve())) : Promise.resolve();
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
    await tlsClosed;
  }

  /** The management API's TCP port (0 when off). */
  get managementPort(): number {
    return this.management?.port ?? 0;
  }

  addVhost(name: string): VHost {
    let v = this.vhosts.get(name);
    if (!v) {
      v = new VHost(name, this.store, {
        clock: this.clock,
        queueDeleted: () => {},
        definitionsChanged: () => this.definitionsChanged(),
        // a new queue or exchange gets the policy that matches it, as in RabbitMQ
        queueCreated: (q) => applyToQueue(q, this.admin.policies, this.admin.operatorPolicies),
        exchangeCreated: (e) => {
          applyToExchange(e, this.admin.policies);
          if (e instanceof DelayedMessageExchange) e.attach({ store: this.store, clock: this.clock, persist: !this.restoring, enqueue: (x, msg) => this.publishReleased(x, msg) });
        },
        exchangeDeleted: (e) => {
          if (e instanceof DelayedMessageExchange) e.detach();
        },
      });
      this.vhosts.set(name, v);
      this.definitionsChanged();
    }
    return v;
  }

  /**
   * Deletes a vhost as RabbitMQ does: its connections are closed with 320 "vhost 'x' is deleted",
   * its queues (and their messages) and exchanges go, and so do permissions, topic permissions,
   * metadata and policies on it.
   */
  deleteVhost(name: string): void {
    const v = this.vhosts.get(name);
    if (!v) return;
    for (const c of [...this.connections]) if (c.vhostName === name) c.closeForced(`vhost '${name}' is deleted`);
    for (const q of [...v.queues.values()]) v.removeQueue(q);
    // delayed exchanges' hidden hold queues (and their stored messages) go too
    for (const e of v.exchanges.values()) if (e instanceof DelayedMessageExchange) e.detach();
    this.vhosts.delete(name);
    for (const u of this.users.users.values()) {
      u.permissions.delete(name);
      u.topicPermissions?.delete(name);
    }
    this.admin.forgetVhost(name);
    this.definitionsChanged();
  }

  /** rabbitmqctl reset: every connection closed, every vhost, queue, message and user gone; then the first-boot defaults. */
  async reset(): Promise<void> {
    for (const c of this.connections) c.forceClose('reset');
    for (const name of [...this.vhosts.keys()]) this.deleteVhost(name);
    this.users.users.clear();
    this.admin.clear();
    this.createDefaults();
    this.definitionsChanged();
    await this.definitionsDurable();
  }

  /** RabbitMQ's first-boot objects: default_vhost, and default_user (administrator) with all permissions on it. */
  private createDefaults(): void {
    const c = this.config;
    this.admin.ensureVhost(c.defaultVhost, { description: 'Default virtual host', tags: [] });
    this.users.add(c.defaultUser, c.defaultPass, ['administrator']);
    this.users.setPermissions(c.defaultUser, c.defaultVhost, { configure: '.*', write: '.*', read: '.*' });
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
    const auth = exportUsers(this.users);
    const operatorPolicies = this.admin.exportPolicies(true);
    const d: DefinitionsFile = {
      rabbit_version: '3.10.0',
      rabbitmq_version: '3.10.0',
      product_name: this.product,
      product_version: this.version,
      users: auth.users,
      // RabbitMQ 3.10 exports a vhost as its name only; the metadata (description, tags) is
      // added when there is some, as later RabbitMQ versions do, so that it survives restarts
      vhosts: [...this.vhosts.keys()].map((name) => {
        const metadata = this.admin.vhostMetadata(name);
        return Object.keys(metadata).length > 0 ? { name, metadata } : { name };
      }),
      permissions: auth.permissions,
      topic_permissions: auth.topic_permissions,
      parameters: [...this.admin.parameters],
      global_parameters: [...this.admin.globalParameters],
      policies: this.admin.exportPolicies(false),
      queues: [],
      exchanges: [],
      bindings: [],
    };
    if (operatorPolicies.length > 0) d.operator_policies = operatorPolicies;
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

  /**
   * Loads a definitions file (ours, or one exported from RabbitMQ) on top of what exists, as
   * RabbitMQ's import does: users are created or updated (keeping their permissions), vhosts,
   * permissions, policies and parameters added or replaced, exchanges, queues and bindings
   * declared unless they exist. A malformed file is an AdminError('bad_request').
   */
  importDefinitions(d: DefinitionsFile): void {
    try {
      this.applyDefinitions(d);
    } catch (e) {
      if (e instanceof DefinitionsError || e instanceof AmqpError) throw new AdminError('bad_request', e.message);
      throw e;
    }
    this.definitionsChanged();
  }

  private applyDefinitions(d: DefinitionsFile): void {
    if (!isObject(d)) throw new DefinitionsError('definitions must be a JSON object');
    // vhosts, users and permissions are all checked before any of them is applied
    const vhosts = objects(d.vhosts, 'vhosts').map((v) => {
      const name = field(v, 'name', 'vhost');
      // RabbitMQ 3.10 exports description and tags under "metadata"; older files have them at the top
      const meta = isObject(v.metadata) ? v.metadata : { description: v.description, tags: v.tags };
      return { name, metadata: Object.fromEntries(Object.entries(meta).filter(([, x]) => x !== undefined)) as VhostMetadata };
    });
    const fileVhosts = new Set(vhosts.map((v) => v.name));
    const auth = parseUserDefinitions(d, {
      rabbitVersion: typeof d.rabbit_version === 'string' ? d.rabbit_version : undefined,
      hash: (password) => hashPassword(password),
      userExists: (name) => this.users.users.has(name),
      vhostExists: (name) => fileVhosts.has(name) || this.vhosts.has(name),
      validPattern,
    });
    for (const v of vhosts) this.admin.ensureVhost(v.name, Object.keys(v.metadata).length > 0 || !this.vhosts.has(v.name) ? v.metadata : undefined);
    applyUserDefinitions(this.users, auth);
    this.admin.importKept(d);
    const args = (o: Record<string, unknown>, what: string): FieldTable => {
      if (o.arguments === undefined || o.arguments === null) return {};
      if (!isObject(o.arguments)) throw new DefinitionsError(`${what}: 'arguments' must be an object`);
      return jsonToTable(o.arguments);
    };
    const flag = (o: Record<string, unknown>, key: string, dflt: boolean): boolean => (typeof o[key] === 'boolean' ? (o[key] as boolean) : dflt);
    for (const e of objects(d.exchanges, 'exchanges')) {
      const name = field(e, 'name', 'exchange');
      const v = this.addVhost(field(e, 'vhost', `exchange '${name}'`));
      if (v.exchanges.has(name)) continue;
      const what = `exchange '${name}'`;
      v.declareExchange(name, field(e, 'type', what), false, { durable: flag(e, 'durable', true), autoDelete: flag(e, 'auto_delete', false), internal: flag(e, 'internal', false), arguments: args(e, what) });
    }
    for (const q of objects(d.queues, 'queues')) {
      const name = field(q, 'name', 'queue');
      const v = this.addVhost(field(q, 'vhost', `queue '${name}'`));
      if (v.queues.has(name)) continue;
      const settings = { durable: flag(q, 'durable', true), exclusive: false, autoDelete: flag(q, 'auto_delete', false), arguments: args(q, `queue '${name}'`) };
      validateQueueArguments(settings.arguments, name, v.name);
      // while booting, recoverMessages() registers durable queues with the store
      v.createQueue(name, settings, !this.restoring);
    }
    for (const b of objects(d.bindings, 'bindings')) {
      const what = 'binding';
      const v = this.vhosts.get(field(b, 'vhost', what));
      const source = field(b, 'source', what);
      const destination = field(b, 'destination', what);
      const src = v?.exchanges.get(source);
      const dest = field(b, 'destination_type', what) === 'queue' ? v?.queues.get(destination) : v?.exchanges.get(destination);
      // RabbitMQ's export never names a missing end; a hand-made file that does loses that binding
      if (!v || !src || !dest) continue;
      v.bind(src, dest, typeof b.routing_key === 'string' ? b.routing_key : '', args(b, what));
    }
  }

  /**
   * Routes a message a delayed exchange releases, as a publish to it would (no channel: no confirm,
   * no basic.return; an unroutable message goes to the exchange's alternate exchange, if any, or is
   * dropped, as the plugin drops it). Returns whether a durable queue took it as persistent.
   */
  private publishReleased(ex: Exchange, msg: Message): boolean {
    const out: Queue[] = [];
    ex.publishIn += 1;
    route(ex, msg, out); // route() also follows alternate exchanges
    if (out.length > 0) ex.publishOut += 1;
    let durable = false;
    for (const q of out) if (q.enqueue(msg) === ACCEPTED_DURABLE) durable = true;
    return durable;
  }

  /** The hidden hold queues of a vhost's delayed exchanges. */
  private *holdQueues(v: VHost): IterableIterator<Queue> {
    for (const e of v.exchanges.values()) if (e instanceof DelayedMessageExchange && e.hold !== null) yield e.hold;
  }

  /** Hands what the store recovered to the queues; durable queues it did not know get a new store id. */
  private recoverMessages(): void {
    for (const r of this.store.recover()) {
      if (r.name.startsWith(HOLD_PREFIX)) {
        // a delayed exchange's held messages: back into its hold queue, which hands them to the exchange
        const hv = this.vhosts.get(r.vhost);
        const hold = hv === undefined ? undefined : [...this.holdQueues(hv)].find((h) => h.name === r.name);
        if (hold === undefined) {
          // its exchange is gone from the definitions: the held messages cannot be routed any more
          this.log.warn({ queue: r.name, vhost: r.vhost, messages: r.count }, 'dropping the held messages of a delayed exchange that no longer exists');
          this.store.removeQueue(r.id);
        } else if (hold.storeId === 0) {
          hold.recover(r);
          hold.dispatch();
        }
        continue;
      }
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
    for (const v of this.vhosts.values()) for (const q of this.holdQueues(v)) if (q.durable) q.persist();
  }

  private *allQueues(): IterableIterator<Queue> {
    for (const v of this.vhosts.values()) {
      yield* v.queues.values();
      yield* this.holdQueues(v);
    }
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

  /** The alarms in effect ('disk', 'memory', 'manual'), for the management API's health checks and status. */
  get alarmNames(): string[] {
    return [...this.alarms.keys()];
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

/** Listens on port/host; rejects (e.g. EADDRINUSE) instead of emitting 'error'. */
function listenOn(server: Server | TlsServer, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
