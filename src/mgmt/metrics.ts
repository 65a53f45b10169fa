// Prometheus metrics with rabbitmq_prometheus's names: /metrics aggregates over all queues (as
// RabbitMQ does by default), /metrics/per-object adds one series per queue labelled by vhost and
// queue. Like the Prometheus plugin, no authentication is asked for.
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Queue } from '../core/queue/queue.js';
import type { Reply } from './http.js';
import { type MgmtContext, route, type Route } from './router.js';
import { RABBITMQ_VERSION } from './routes/overview.js';

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: 'gauge' | 'counter' | 'untyped', help: string, samples: [Labels, number][]): void {
    this.lines.push(`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${labelText(labels)} ${value}`);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

const QUEUE_METRICS: [string, 'gauge' | 'counter', string, (q: Queue) => number][] = [
  ['rabbitmq_queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers', (q) => q.messageCount],
  ['rabbitmq_queue_messages_unacked', 'gauge', 'Messages delivered to consumers but not yet acknowledged', (q) => q.unacked],
  ['rabbitmq_queue_messages', 'gauge', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.messageCount + q.unacked],
  ['rabbitmq_queue_messages_ready_bytes', 'gauge', 'Size in bytes of ready messages', (q) => q.readyBytes],
  ['rabbitmq_queue_messages_paged_out', 'gauge', 'Messages paged out to disk', (q) => q.pagedOut],
  ['rabbitmq_queue_messages_paged_out_bytes', 'gauge', 'Size in bytes of messages paged out to disk', (q) => q.pagedOutBytes],
  ['rabbitmq_queue_consumers', 'gauge', 'Consumers on a queue', (q) => q.consumerCount],
  ['rabbitmq_queue_messages_published_total', 'counter', 'Total number of messages published to queues', (q) => q.stats.published],
];

function allQueues(ctx: MgmtContext): Queue[] {
  const out: Queue[] = [];
  for (const v of ctx.broker.vhosts.values()) for (const q of v.queues.values()) out.push(q);
  return out;
}

function exposition(ctx: MgmtContext, perObject: boolean): string {
  const b = ctx.broker;
  const x = new Exposition();
  const queues = allQueues(ctx);
  const open = [...b.connections].filter((c) => c.isOpen);
  const sum = (f: (q: Queue) => number): number => queues.reduce((n, q) => n + f(q), 0);
  const node = { rabbitmq_node: ctx.node };

  x.metric('rabbitmq_build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info', [
    [{ rabbitmq_version: RABBITMQ_VERSION, product_name: b.product, product_version: b.version, erlang_version: process.version }, 1],
  ]);
  x.metric('rabbitmq_identity_info', 'untyped', 'RabbitMQ node & cluster identity info', [[{ ...node, rabbitmq_cluster: ctx.node }, 1]]);
  x.metric('rabbitmq_connections', 'gauge', 'Connections currently open', [[{}, open.length]]);
  x.metric('rabbitmq_channels', 'gauge', 'Channels currently open', [[{}, open.reduce((n, c) => n + c.openChannels.length, 0)]]);
  x.metric('rabbitmq_consumers', 'gauge', 'Consumers currently connected', [[{}, sum((q) => q.consumerCount)]]);
  x.metric('rabbitmq_queues', 'gauge', 'Queues available', [[{}, queues.length]]);
  for (const [name, type, help, f] of QUEUE_METRICS) {
    const samples: [Labels, number][] = perObject ? queues.map((q) => [{ vhost: q.vhost, queue: q.name }, f(q)]) : [[{}, sum(f)]];
    x.metric(name, type, help, samples);
  }

  let received = 0;
  let routed = 0;
  for (const v of b.vhosts.values()) {
    for (const e of v.exchanges.values()) {
      received += e.publishIn;
      routed += e.publishOut;
    }
  }
  x.metric('rabbitmq_global_messages_received_total', 'counter', 'Total number of messages received from publishers', [[{}, received]]);
  x.metric('rabbitmq_global_messages_routed_total', 'counter', 'Total number of messages routed to queues or streams', [[{}, routed]]);
  x.metric('rabbitmq_global_messages_delivered_total', 'counter', 'Total number of messages delivered to consumers', [[{}, sum((q) => q.stats.delivered + q.stats.gets)]]);
  x.metric('rabbitmq_global_messages_acknowledged_total', 'counter', 'Total number of messages acknowledged by consumers', [[{}, sum((q) => q.stats.acked)]]);
  x.metric('rabbitmq_global_messages_redelivered_total', 'counter', 'Total number of messages redelivered to consumers', [[{}, sum((q) => q.stats.redelivered)]]);

  const w = b.config.vmMemoryHighWatermark;
  const alarms = b.alarmNames;
  let free = 0;
  try {
    const s = statfsSync(b.config.dataDir);
    free = s.bavail * s.bsize;
  } catch {
    // reported as 0 when the data dir cannot be read
  }
  x.metric('rabbitmq_process_resident_memory_bytes', 'gauge', 'Memory used in bytes', [[{}, process.memoryUsage.rss()]]);
  x.metric('rabbitmq_resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes', [[{}, w <= 1 ? Math.floor(totalmem() * w) : w]]);
  x.metric('rabbitmq_disk_space_available_bytes', 'gauge', 'Disk space available in bytes', [[{}, free]]);
  x.metric('rabbitmq_disk_space_available_limit_bytes', 'gauge', 'Free disk space low watermark in bytes', [[{}, b.config.diskFreeLimit]]);
  x.metric('rabbitmq_alarms_memory_used_watermark', 'gauge', 'is set to 1 when the memory alarm is in effect', [[{}, alarms.includes('memory') ? 1 : 0]]);
  x.metric('rabbitmq_alarms_free_disk_space_watermark', 'gauge', 'is set to 1 when the free disk space alarm is in effect', [[{}, alarms.includes('disk') ? 1 : 0]]);
  x.metric('rabbitmq_erlang_uptime_seconds', 'gauge', 'Node uptime', [[{}, (Date.now() - b.startedAt) / 1000]]);
  return x.text();
}

function reply(ctx: MgmtContext, perObject: boolean): Reply {
  return { status: 200, text: exposition(ctx, perObject), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
}

export const metricRoutes: Route[] = [
  route('/metrics', { GET: { auth: 'none', handle: (_req, ctx) => reply(ctx, false) } }),
  route('/metrics/per-object', { GET: { auth: 'none', handle: (_req, ctx) => reply(ctx, true) } }),
];
