// Whole-broker views: /api/overview, /api/nodes, /api/cluster-name, /api/extensions, the health
// checks (/api/health/checks/…) and /api/aliveness-test/{vhost}.
import { statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { Message, rawProperties } from '../../core/message.js';
import { canLogin, checkPermission, isMonitor, seesUser } from '../auth.js';
import { type JsonObject, listReply, objectReply } from '../list.js';
import { badRequest, objectNotFound, ok, type Reply, type Request } from '../http.js';
import { type MgmtContext, param, route, type Route } from '../router.js';
import { T } from '../stats.js';
import { onChannel, pathVhost } from './common.js';

/** The RabbitMQ version whose API Warren speaks (also what definitions exports name). */
export const RABBITMQ_VERSION = '3.10.0';

const EXCHANGE_TYPES = [
  { name: 'direct', description: 'AMQP direct exchange, as per the AMQP specification', enabled: true },
  { name: 'fanout', description: 'AMQP fanout exchange, as per the AMQP specification', enabled: true },
  { name: 'headers', description: 'AMQP headers exchange, as per the AMQP specification', enabled: true },
  { name: 'x-delayed-message', description: 'Delayed Message Exchange (built into Warren)', enabled: true },
  { name: 'topic', description: 'AMQP topic exchange, as per the AMQP specification', enabled: true },
];

/** The listeners as RabbitMQ's overview lists them (AMQP first, then the management ones). */
export function listeners(ctx: MgmtContext): { protocol: string; port: number; ip_address: string }[] {
  const b = ctx.broker;
  const c = b.config;
  const out: { protocol: string; port: number; ip_address: string }[] = [];
  if (b.appRunning) {
    out.push({ protocol: 'amqp', port: b.port, ip_address: c.host ?? '::' });
    if (b.tlsPort > 0) out.push({ protocol: 'amqp/ssl', port: b.tlsPort, ip_address: c.tls?.host ?? '::' });
  }
  if (ctx.listeners.http > 0) out.push({ protocol: 'http', port: ctx.listeners.http, ip_address: c.managementHost ?? '::' });
  if (ctx.listeners.https > 0) out.push({ protocol: 'https', port: ctx.listeners.https, ip_address: c.managementTls?.host ?? c.managementHost ?? '::' });
  return out;
}

function contexts(ctx: MgmtContext): JsonObject[] {
  const out: JsonObject[] = [];
  if (ctx.listeners.http > 0) out.push({ node: ctx.node, description: 'RabbitMQ Management', path: '/', port: String(ctx.listeners.http) });
  if (ctx.listeners.https > 0) out.push({ node: ctx.node, description: 'RabbitMQ Management', path: '/', port: String(ctx.listeners.https), ssl: 'true' });
  return out;
}

function rateSum(ctx: MgmtContext, objects: object[], i: number): number {
  let sum = 0;
  for (const o of objects) sum += ctx.sampler.rate(o, i);
  return Math.round(sum * 10) / 10;
}

/** GET /api/overview: totals over what the user may see (all of it for monitoring users). */
function overview(req: Request, ctx: MgmtContext): Reply {
  const b = ctx.broker;
  const p = req.principal;
  // monitoring users get the whole broker's totals, others those of their vhosts
  const monitor = p.internal || isMonitor(p.user.tags);
  const vhosts = [...b.vhosts.values()].filter((v) => monitor || canLogin(p, v.name));
  const conns = [...b.connections].filter((c) => c.isOpen && seesUser(p, c.username));
  let ready = 0;
  let unacked = 0;
  let queues = 0;
  let exchanges = 0;
  let consumers = 0;
  let publish = 0;
  let deliverGet = 0;
  let ack = 0;
  let redeliver = 0;
  for (const v of vhosts) {
    exchanges += v.exchanges.size;
    for (const q of v.queues.values()) {
      queues += 1;
      ready += q.messageCount;
      unacked += q.unacked;
      consumers += q.consumerCount;
      deliverGet += q.stats.delivered + q.stats.gets;
      ack += q.stats.acked;
      redeliver += q.stats.redelivered;
    }
    for (const e of v.exchanges.values()) publish += e.publishIn;
  }
  const channels = conns.reduce((n, c) => n + c.openChannels.length, 0);
  const stat = (out: JsonObject, key: string, value: number, i: number): void => {
    out[key] = value;
    out[`${key}_details`] = { rate: rateSum(ctx, vhosts, i) };
  };
  const messageStats: JsonObject = {};
  stat(messageStats, 'ack', ack, T.ack);
  stat(messageStats, 'deliver_get', deliverGet, T.deliverGet);
  stat(messageStats, 'publish', publish, T.publish);
  stat(messageStats, 'redeliver', redeliver, T.redeliver);
  const queueTotals: JsonObject = {};
  stat(queueTotals, 'messages', ready + unacked, T.messages);
  stat(queueTotals, 'messages_ready', ready, T.ready);
  stat(queueTotals, 'messages_unacknowledged', unacked, T.unacked);
  const objectTotals: JsonObject = { channels, connections: conns.length, consumers, exchanges, queues };
  if (!monitor) delete objectTotals.consumers;
  const view: JsonObject = {
    management_version: RABBITMQ_VERSION,
    rates_mode: 'basic',
    sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600], detailed: [600] },
    exchange_types: EXCHANGE_TYPES,
    product_version: b.version,
    product_name: b.product,
    rabbitmq_version: RABBITMQ_VERSION,
    cluster_name: ctx.node,
    erlang_version: process.version,
    erlang_full_version: `Node.js ${process.version}`,
    disable_stats: false,
    enable_queue_totals: false,
    message_stats: messageStats,
    churn_rates: {},
    queue_totals: queueTotals,
    object_totals: objectTotals,
    statistics_db_event_queue: 0,
  };
  // the node and its listeners are for monitoring users only
  if (monitor) {
    view.node = ctx.node;
    view.listeners = listeners(ctx).map((l) => ({ node: ctx.node, ...l, socket_opts: {} }));
    view.contexts = contexts(ctx);
  }
  return ok(objectReply(req, view));
}

/** The memory limit the resource monitor enforces (vm_memory_high_watermark: a fraction or bytes). */
function memoryLimit(ctx: MgmtContext): number {
  const w = ctx.broker.config.vmMemoryHighWatermark;
  return w <= 1 ? Math.floor(totalmem() * w) : w;
}

function diskFree(ctx: MgmtContext): number {
  try {
    const s = statfsSync(ctx.broker.config.dataDir);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

function nodeView(ctx: MgmtContext): JsonObject {
  const b = ctx.broker;
  const alarms = b.alarmNames;
  const mem = process.memoryUsage.rss();
  return {
    applications: [],
    auth_mechanisms: [
      { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
      { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
    ],
    being_drained: false,
    config_files: [],
    contexts: contexts(ctx),
    db_dir: b.config.dataDir,
    disk_free: diskFree(ctx),
    disk_free_alarm: alarms.includes('disk'),
    disk_free_limit: b.config.diskFreeLimit,
    enabled_plugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
    exchange_types: EXCHANGE_TYPES,
    log_files: ['<stdout>'],
    mem_alarm: alarms.includes('memory'),
    mem_calculation_strategy: 'rss',
    mem_limit: memoryLimit(ctx),
    mem_used: mem,
    name: ctx.node,
    net_ticktime: 60,
    os_pid: String(process.pid),
    partitions: [],
    processors: availableParallelism(),
    rates_mode: 'basic',
    run_queue: 0,
    running: true,
    sockets_used: b.connections.size,
    type: 'disc',
    uptime: Date.now() - b.startedAt,
  };
}

// --- health checks ----------------------------------------------------------------------------

/** RabbitMQ answers a failed health check with 503 and a JSON explanation. */
function failed(body: JsonObject): Reply {
  return { status: 503, body: { status: 'failed', ...body } };
}

function alarmsCheck(ctx: MgmtContext, where: string): Reply {
  const names = ctx.broker.alarmNames;
  if (names.length === 0) return ok({ status: 'ok' });
  const alarms = names.map((n) => (n === 'disk' || n === 'memory' ? { node: ctx.node, resource: n } : { node: ctx.node, alarm: n }));
  return failed({ reason: `There are alarms in effect ${where}`, alarms });
}

function portListener(req: Request, ctx: MgmtContext): Reply {
  const text = param(req, 'port');
  if (!/^\d+$/.test(text)) throw badRequest('Invalid port');
  const port = Number(text);
  const ports = listeners(ctx).map((l) => l.port);
  if (ports.includes(port)) return ok({ status: 'ok', port });
  return failed({ reason: 'No active listener', missing: port, ports });
}

/** Protocol names as rabbitmq-diagnostics accepts them, mapped to our listeners'. */
const PROTOCOL_ALIASES: Record<string, string> = { amqp: 'amqp', amqp091: 'amqp', 'amqp0-9-1': 'amqp', amqps: 'amqp/ssl', 'amqp/ssl': 'amqp/ssl', http: 'http', https: 'https' };

function protocolListener(req: Request, ctx: MgmtContext): Reply {
  const asked = param(req, 'protocol');
  const protocol = PROTOCOL_ALIASES[asked.toLowerCase()] ?? asked;
  const protocols = listeners(ctx).map((l) => l.protocol);
  if (protocols.includes(protocol)) return ok({ status: 'ok', protocol: asked });
  return failed({ reason: 'No active listener', missing: asked, protocols });
}

/**
 * GET /api/aliveness-test/{vhost}: declares the queue "aliveness-test", publishes "test_message"
 * to it and gets it back, with the user's permissions, as RabbitMQ does.
 */
function aliveness(req: Request, ctx: MgmtContext): Reply {
  const v = pathVhost(req, ctx);
  const name = 'aliveness-test';
  const { queue } = onChannel(() => {
    checkPermission(req.principal, v.name, 'configure', 'queue', name);
    checkPermission(req.principal, v.name, 'write', 'exchange', '');
    checkPermission(req.principal, v.name, 'read', 'queue', name);
    return v.declareQueue(name, false, { durable: false, exclusive: false, autoDelete: false, arguments: {} }, null);
  });
  const sent = new Message('', name, rawProperties({}), Buffer.from('test_message'));
  queue.enqueue(sent);
  // take the oldest message (ours, unless someone else left messages there) and drop it
  const e = queue.get();
  if (e === undefined) return failed({ reason: 'aliveness test message was not delivered' });
  queue.settle(e);
  return ok({ status: 'ok' });
}

export const overviewRoutes: Route[] = [
  route('/api/overview', { GET: { auth: 'any', handle: overview } }),
  route('/api/cluster-name', { GET: { auth: 'any', handle: (_req, ctx) => ok({ name: ctx.node }) } }),
  route('/api/extensions', { GET: { auth: 'any', handle: () => ok([]) } }),
  route('/api/nodes', { GET: { auth: 'monitor', handle: (req, ctx) => ok(listReply(req, [ctx], { view: nodeView, paginate: false })) } }),
  route('/api/nodes/:node', {
    GET: {
      auth: 'monitor',
      handle: (req, ctx) => {
        if (param(req, 'node') !== ctx.node) throw objectNotFound();
        return ok(objectReply(req, nodeView(ctx)));
      },
    },
  }),
  route('/api/health/checks/alarms', { GET: { auth: 'any', handle: (_req, ctx) => alarmsCheck(ctx, 'in the cluster') } }),
  route('/api/health/checks/local-alarms', { GET: { auth: 'any', handle: (_req, ctx) => alarmsCheck(ctx, 'on the node') } }),
  route('/api/health/checks/virtual-hosts', { GET: { auth: 'any', handle: () => ok({ status: 'ok' }) } }),
  route('/api/health/checks/node-is-quorum-critical', { GET: { auth: 'any', handle: () => ok({ status: 'ok' }) } }),
  route('/api/health/checks/node-is-mirror-sync-critical', { GET: { auth: 'any', handle: () => ok({ status: 'ok' }) } }),
  route('/api/health/checks/port-listener/:port', { GET: { auth: 'any', handle: portListener } }),
  route('/api/health/checks/protocol-listener/:protocol', { GET: { auth: 'any', handle: protocolListener } }),
  route('/api/aliveness-test/:vhost', { GET: { auth: 'vhost', handle: aliveness } }),
];
