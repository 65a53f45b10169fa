// Policies and operator policies: /api/policies[/{vhost}[/{name}]] and /api/operator-policies[...].
// As RabbitMQ 3.10: every management user lists the policies of the vhosts it can use; setting or
// clearing a policy takes the policymaker (or administrator) tag and permissions on the vhost;
// operator policies are changed by administrators only. Changes are answered once on disk.
import { AdminError } from '../../admin.js';
import { isAdmin } from '../auth.js';
import { badRequest, created, HttpError, noContent, notAuthorised, objectNotFound, ok, type Request } from '../http.js';
import { listReply, objectReply } from '../list.js';
import { type MgmtContext, param, route, type Route } from '../router.js';
import { policyJson } from '../../core/policies.js';
import { pathVhost, scopeVhosts } from './common.js';

/** RabbitMQ HTML-escapes the reasons of its policy validation errors (not those of operator policies). */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function listPolicies(operator: boolean) {
  return (req: Request, ctx: MgmtContext) => {
    const vhosts = new Set(scopeVhosts(req, ctx).map((v) => v.name));
    const rows = ctx.broker.admin
      .listPolicies(operator)
      .filter((p) => vhosts.has(p.vhost))
      .map(policyJson);
    return ok(listReply(req, rows, { view: (x) => x, paginate: false }));
  };
}

function getPolicy(operator: boolean) {
  return (req: Request, ctx: MgmtContext) => {
    const v = pathVhost(req, ctx);
    const p = ctx.broker.admin.policy(operator, v.name, param(req, 'name'));
    if (p === undefined) throw objectNotFound();
    return ok(objectReply(req, policyJson(p)));
  };
}

/** rabbit_mgmt_util's is_authorized_policies: the policymaker tag (administrators have it implicitly). */
function requirePolicymaker(req: Request): void {
  const tags = req.principal.user.tags;
  if (!req.principal.internal && !isAdmin(tags) && !tags.includes('policymaker')) throw notAuthorised('User not authorised to access object');
}

function putPolicy(operator: boolean) {
  return async (req: Request, ctx: MgmtContext) => {
    if (!operator) requirePolicymaker(req);
    const vhost = param(req, 'vhost');
    if (!ctx.broker.vhosts.has(vhost)) throw new HttpError(404, 'not_found', 'vhost_not_found');
    const body = await req.json();
    let isNew: boolean;
    try {
      isNew = ctx.broker.admin.setPolicy(operator, vhost, param(req, 'name'), {
        pattern: body.pattern,
        definition: body.definition,
        priority: body.priority,
        applyTo: body['apply-to'],
      });
    } catch (e) {
      if (e instanceof AdminError && e.kind === 'bad_request') throw badRequest(operator ? e.message : escapeHtml(e.message));
      throw e;
    }
    await ctx.broker.admin.durable();
    return created(isNew);
  };
}

function deletePolicy(operator: boolean) {
  return async (req: Request, ctx: MgmtContext) => {
    if (!operator) requirePolicymaker(req);
    const v = pathVhost(req, ctx);
    const name = param(req, 'name');
    if (ctx.broker.admin.policy(operator, v.name, name) === undefined) throw objectNotFound();
    ctx.broker.admin.clearPolicy(operator, v.name, name);
    await ctx.broker.admin.durable();
    return noContent();
  };
}

function policyRoutes(base: string, operator: boolean): Route[] {
  const change = operator ? 'admin' : 'vhost';
  return [
    route(base, { GET: { auth: 'any', handle: listPolicies(operator) } }),
    route(`${base}/:vhost`, { GET: { auth: 'vhost', handle: listPolicies(operator) } }),
    route(`${base}/:vhost/:name`, {
      GET: { auth: 'vhost', handle: getPolicy(operator) },
      PUT: { auth: change, handle: putPolicy(operator) },
      DELETE: { auth: change, handle: deletePolicy(operator) },
    }),
  ];
}

export const policyRoutesAll: Route[] = [...policyRoutes('/api/policies', false), ...policyRoutes('/api/operator-policies', true)];
