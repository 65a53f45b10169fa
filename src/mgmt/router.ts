// The route table: RabbitMQ's API paths (segments, ':name' parameters percent-decoded, so a vhost
// "/" arrives as %2F), the methods each path allows, and the authorization level each method needs.
// cowboy_rest's order is kept: an unknown path is 404, a known path with another method is 405,
// then authentication and authorization, then the handler.
import type { AuthLevel } from './auth.js';
import type { Reply, Request } from './http.js';
import type { ViewContext } from './views.js';

/** What handlers get besides the request: the broker, its rates, the node name, our own listeners. */
export interface MgmtContext extends ViewContext {
  /** the management listeners' bound ports (0 when off) and socket path, filled in as they open */
  readonly listeners: { http: number; https: number; socket: string | null };
}

export type Handler = (req: Request, ctx: MgmtContext) => Promise<Reply> | Reply;

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface MethodSpec {
  /** 'none': no authentication at all (Prometheus metrics, warren/authenticate checks its own header) */
  auth: AuthLevel | 'none';
  handle: Handler;
}

export interface Route {
  readonly segments: readonly string[];
  readonly methods: Partial<Record<Method, MethodSpec>>;
}

/** route('/api/queues/:vhost/:queue', { GET: …, PUT: … }) */
export function route(path: string, methods: Partial<Record<Method, MethodSpec>>): Route {
  return { segments: path.split('/').slice(1), methods };
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** The first route whose segments match (literal segments before parameters, by declaration order). */
export function matchRoute(routes: readonly Route[], segments: readonly string[]): Match | undefined {
  let best: Match | undefined;
  let bestLiterals = -1;
  for (const r of routes) {
    if (r.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segments.length; i++) {
      const pat = r.segments[i] as string;
      const seg = segments[i] as string;
      if (pat.startsWith(':')) params[pat.slice(1)] = seg;
      else if (pat === seg) literals += 1;
      else {
        ok = false;
        break;
      }
    }
    if (ok && literals > bestLiterals) {
      best = { route: r, params };
      bestLiterals = literals;
    }
  }
  return best;
}

/** RabbitMQ's id/2: the default exchange is addressed as "amq.default" in paths. */
export function exchangeParam(name: string): string {
  return name === 'amq.default' ? '' : name;
}

/** Route parameter `name` (the router guarantees it for routes that declare it). */
export function param(req: Request, name: string): string {
  return req.params[name] ?? '';
}
