// Warren's own endpoints, what warrenctl needs beyond RabbitMQ's API (administrators only; over the
// Unix socket warrenctl is one):
//   GET  /api/warren/status        node status (rabbitmqctl status)
//   POST /api/warren/stop          204, then the broker stops (and `warren` exits)
//   POST /api/warren/stop_app      204 once the AMQP side is down (rabbitmqctl stop_app)
//   POST /api/warren/start_app     204 once it listens again
//   POST /api/warren/reset         409 unless stop_app came first; else 204 once everything is wiped
//   GET  /api/warren/authenticate  checks the Authorization header's credentials, whatever the tags
//                                  (rabbitmqctl authenticate_user)
import { basicCredentials } from '../auth.js';
import { HttpError, noContent, notAuthenticated, ok, type Reply, type Request } from '../http.js';
import { type MgmtContext, route, type Route } from '../router.js';
import { listeners } from './overview.js';

function status(ctx: MgmtContext): Reply {
  const b = ctx.broker;
  let queues = 0;
  let messages = 0;
  for (const v of b.vhosts.values()) {
    for (const q of v.queues.values()) {
      queues += 1;
      messages += q.messageCount + q.unacked;
    }
  }
  const mem = process.memoryUsage();
  return ok({
    pid: process.pid,
    product: b.product,
    version: b.version,
    node: ctx.node,
    uptime_ms: Date.now() - b.startedAt,
    app_running: b.appRunning,
    data_dir: b.config.dataDir,
    listeners: listeners(ctx).map((l) => ({ protocol: l.protocol, port: l.port, host: l.ip_address })),
    alarms: b.alarmNames,
    memory: { rss: mem.rss, heap_used: mem.heapUsed },
    connections: b.connections.size,
    queues,
    messages,
  });
}

async function reset(ctx: MgmtContext): Promise<Reply> {
  if (ctx.broker.appRunning) {
    throw new HttpError(409, 'app_running', 'Mnesia is still running on node; stop the application (stop_app) before resetting it');
  }
  await ctx.broker.admin.reset();
  return noContent();
}

/** Basic-auth credentials checked as a login would check them; tags do not matter here. */
function checkCredentials(req: Request, ctx: MgmtContext): Reply {
  const cred = basicCredentials(req.raw);
  const user = cred === undefined ? undefined : ctx.broker.admin.authenticate(cred.name, cred.password);
  if (user === undefined) throw notAuthenticated();
  return ok({ name: user.name, tags: [...user.tags] });
}

export const warrenRoutes: Route[] = [
  route('/api/warren/status', { GET: { auth: 'admin', handle: (_req, ctx) => status(ctx) } }),
  route('/api/warren/stop', {
    POST: { auth: 'admin', handle: (_req, ctx) => ({ status: 204, after: () => ctx.broker.requestStop() }) },
  }),
  route('/api/warren/stop_app', {
    POST: {
      auth: 'admin',
      handle: async (_req, ctx) => {
        await ctx.broker.stopApp();
        return noContent();
      },
    },
  }),
  route('/api/warren/start_app', {
    POST: {
      auth: 'admin',
      handle: async (_req, ctx) => {
        await ctx.broker.startApp();
        return noContent();
      },
    },
  }),
  route('/api/warren/reset', { POST: { auth: 'admin', handle: (_req, ctx) => reset(ctx) } }),
  route('/api/warren/authenticate', { GET: { auth: 'none', handle: checkCredentials } }),
];
