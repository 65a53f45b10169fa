// The management HTTP API (RabbitMQ's paths and JSON) on its listeners: TCP on management.tcp.port
// (config.managementPort: 0 = off, 'auto' = any free port), HTTPS when config.managementTls is set,
// and a Unix socket in the data dir (mode 0600) on which warrenctl acts as an internal administrator
// without a password, like rabbitmqctl with the Erlang cookie. Each request is routed (router.ts),
// authenticated and authorized (auth.ts) and answered by a handler (routes/*.ts); errors become
// RabbitMQ's {"error": …, "reason": …} answers. The path `/` is left for the web UI.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { AdminError } from '../admin.js';
import type { Broker } from '../broker.js';
import { AmqpError } from '../errors.js';
import { createTlsServer } from '../net/tls.js';
import { authenticate, authorize, internalPrincipal } from './auth.js';
import { badRequest, HttpError, NoCredentials, notAuthorised, objectNotFound, parseJsonBody, type Principal, readBody, type Reply, type Request } from './http.js';
import { metricRoutes } from './metrics.js';
import { matchRoute, type Method, type MgmtContext, type Route } from './router.js';
import { accessRoutes } from './routes/access.js';
import { bindingRoutes } from './routes/bindings.js';
import { connectionRoutes } from './routes/connections.js';
import { definitionRoutes } from './routes/definitions.js';
import { exchangeRoutes } from './routes/exchanges.js';
import { overviewRoutes } from './routes/overview.js';
import { queueRoutes } from './routes/queues.js';
import { policyRoutesAll } from './routes/policies.js';
import { warrenRoutes } from './routes/warren.js';
import { RateSampler } from './stats.js';
import { serveStatic } from './static.js';
import { nodeName } from './views.js';

export interface ManagementServer {
  /** the TCP port bound (0 when the TCP listener is off) */
  readonly port: number;
  /** the HTTPS port bound (0 when there is no TLS listener) */
  readonly tlsPort: number;
  stop(): Promise<void>;
}

const ROUTES: readonly Route[] = [
  ...overviewRoutes,
  ...connectionRoutes,
  ...exchangeRoutes,
  ...queueRoutes,
  ...bindingRoutes,
  ...accessRoutes,
  ...definitionRoutes,
  ...policyRoutesAll,
  ...warrenRoutes,
  ...metricRoutes,
];

const METHODS: readonly Method[] = ['GET', 'PUT', 'POST', 'DELETE'];

/** Who calls an endpoint that needs no authentication. */
const ANONYMOUS: Principal = { user: { name: '', passwordHash: '', tags: [], permissions: new Map() }, internal: false };

export async function startManagement(broker: Broker): Promise<ManagementServer> {
  const ctx: MgmtContext = { broker, sampler: new RateSampler(broker), node: nodeName(), listeners: { http: 0, https: 0, socket: null } };
  const c = broker.config;
  const servers: Server[] = [];
  let tlsServer: TlsServer | null = null;
  const handler =
    (viaSocket: boolean) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      // the web UI (static files, no authentication: the page logs in through the API)
      if (!viaSocket && serveStatic(req, res)) return;
      void handle(ctx, req, res, viaSocket);
    };

  const closeAll = async (): Promise<void> => {
    ctx.sampler.stop();
    const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of servers) s.closeAllConnections();
    if (tlsServer) {
      const t = tlsServer;
      closing.push(new Promise<void>((resolve) => t.close(() => resolve())));
    }
    await Promise.all(closing);
    if (ctx.listeners.socket !== null) removeSocketFile(ctx.listeners.socket);
  };

  try {
    if (c.managementPort !== 0) {
      const s = createServer(handler(false));
      servers.push(s);
      await listen(s, { port: c.managementPort === 'auto' ? 0 : c.managementPort, host: c.managementHost });
      ctx.listeners.http = (s.address() as AddressInfo).port;
      broker.log.info({ port: ctx.listeners.http }, `management API listening on port ${ctx.listeners.http}`);
    }
    if (c.managementTls) {
      // TLS sockets (verified as the AMQPS listener verifies them) are handed to a plain HTTP server
      const https = createServer(handler(false));
      servers.push(https);
      tlsServer = createTlsServer(c.managementTls, broker.log, (socket) => https.emit('connection', socket));
      await listen(tlsServer, { port: c.managementTls.port, host: c.managementTls.host ?? c.managementHost });
      ctx.listeners.https = (tlsServer.address() as AddressInfo).port;
      broker.log.info({ port: ctx.listeners.https }, `management API listening on port ${ctx.listeners.https} (HTTPS)`);
    }
    if (c.managementSocket !== null) {
      const s = createServer(handler(true));
      if (await listenSocket(broker, s, c.managementSocket)) {
        servers.push(s);
        ctx.listeners.socket = c.managementSocket;
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  ctx.sampler.start();
  return {
    port: ctx.listeners.http,
    tlsPort: ctx.listeners.https,
    stop: closeAll,
  };
}

// --- listeners --------------------------------------------------------------------------------

function listen(server: Server | TlsServer, options: { port?: number; host?: string; path?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The warrenctl socket: a stale one (the data dir lock guarantees no other broker owns it) is
 * removed first; the new one is made private to the broker's OS user. Failing to open it is
 * logged, not fatal: the broker is still usable over TCP.
 */
async function listenSocket(broker: Broker, server: Server, path: string): Promise<boolean> {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
    else {
      broker.log.error({ path }, 'not opening the management socket: a file that is not a socket is in the way');
      return false;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await listen(server, { path });
    chmodSync(path, 0o600);
    return true;
  } catch (e) {
    broker.log.error({ path, err: (e as Error).message }, 'cannot open the management socket (warrenctl will not reach this broker locally)');
    return false;
  }
}

function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

// --- requests ---------------------------------------------------------------------------------

async function handle(ctx: MgmtContext, raw: IncomingMessage, res: ServerResponse, viaSocket: boolean): Promise<void> {
  let reply: Reply;
  try {
    reply = await dispatch(ctx, raw, viaSocket);
  } catch (e) {
    reply = errorReply(ctx, e);
  }
  write(res, reply, raw.method === 'HEAD');
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest(`malformed path segment '${s}'`);
  }
}

async function dispatch(ctx: MgmtContext, raw: IncomingMessage, viaSocket: boolean): Promise<Reply> {
  const url = raw.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const parts = path.split('/').slice(1);
  // "/api/users/" is "/api/users"
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const segments = parts.map(decodeSegment);
  const match = matchRoute(ROUTES, segments);
  if (match === undefined) {
    if (segments[0] === 'api') throw objectNotFound();
    return { status: 404, text: 'Not Found', contentType: 'text/plain' };
  }
  const allowed = METHODS.filter((m) => match.route.methods[m] !== undefined);
  const allow = ['HEAD', ...allowed, 'OPTIONS'].filter((m) => m !== 'HEAD' || allowed.includes('GET')).join(', ');
  if (raw.method === 'OPTIONS') return { status: 200, headers: { allow } };
  const method = (raw.method === 'HEAD' ? 'GET' : raw.method) as Method;
  const spec = match.route.methods[method];
  if (spec === undefined) return { status: 405, headers: { allow } };

  let principal = ANONYMOUS;
  if (spec.auth !== 'none') {
    principal = viaSocket ? internalPrincipal() : authenticate(ctx.broker, raw);
    authorize(ctx.broker, principal, spec.auth, match.params.vhost);
  }
  let body: Promise<Record<string, unknown>> | undefined;
  const req: Request = {
    method,
    path,
    segments,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    raw,
    params: match.params,
    principal,
    json: () => (body ??= readBody(raw).then(parseJsonBody)),
  };
  return await spec.handle(req, ctx);
}

/** Any error as RabbitMQ's management plugin would answer it. */
function errorReply(ctx: MgmtContext, e: unknown): Reply {
  let err: HttpError;
  if (e instanceof HttpError) err = e;
  else if (e instanceof AdminError) err = e.kind === 'not_found' ? objectNotFound() : badRequest(e.message);
  else if (e instanceof AmqpError) {
    // what RabbitMQ's direct_request makes of a channel error
    if (e.code === 404) err = new HttpError(404, 'not_found', e.detail);
    else if (e.code === 403 || e.code === 530) err = notAuthorised('Access refused.');
    else err = badRequest(e.detail);
  } else {
    ctx.broker.log.error({ err: e }, 'management API: internal error');
    err = new HttpError(500, 'internal_server_error', e instanceof Error ? e.message : String(e));
  }
  if (err instanceof NoCredentials) return { status: err.status, headers: err.headers };
  return { status: err.status, body: { error: err.error, reason: err.reason }, headers: err.headers };
}

function write(res: ServerResponse, reply: Reply, head: boolean): void {
  const headers: Record<string, string | number> = { 'cache-control': 'no-cache', vary: 'accept, accept-encoding, origin', ...reply.headers };
  let payload: Buffer | undefined;
  if (reply.text !== undefined) {
    payload = Buffer.from(reply.text, 'utf8');
    headers['content-type'] = reply.contentType ?? 'text/plain';
  } else if (reply.body !== undefined && reply.status !== 204) {
    payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
    headers['content-type'] = 'application/json';
  }
  headers['content-length'] = payload?.length ?? 0;
  if (reply.after) res.once('finish', reply.after);
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : payload);
}
