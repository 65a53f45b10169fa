// Policy commands: set_policy, clear_policy, list_policies and their operator-policy twins —
// through /api/policies and /api/operator-policies. Banners, errors and exit codes are
// rabbitmqctl 3.10's (validation failures exit 69 with the broker's reason).
import { ApiError, seg } from '../client.js';
import type { Command } from '../command.js';
import { apiCall, type Context, unexpected } from '../context.js';
import { ExitCode, operationError, usageError } from '../errors.js';
import { vhostDoesNotExist } from './vhosts.js';

/** GET /api/policies… (a type literal, so it can be a table Row) */
type ApiPolicy = {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
};

const COLUMNS = ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'] as const;

/** The API HTML-escapes policy validation reasons (as RabbitMQ's does); rabbitmqctl prints them plain. */
function unescapeHtml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function priorityOf(ctx: Context): number {
  const p = ctx.opts.flags.priority;
  if (p === undefined || p === true) return 0;
  // rabbitmqctl's option parser takes only integers here, and reports anything else as an invalid option
  if (typeof p !== 'string' || !/^-?\d+$/.test(p)) throw usageError(`Invalid options for this command:\n--priority : ${String(p)}`);
  return Number(p);
}

function applyToOf(ctx: Context): string {
  const a = ctx.opts.flags['apply-to'];
  return typeof a === 'string' ? a : 'all';
}

function policyCommands(operator: boolean): Command[] {
  const api = operator ? '/api/operator-policies' : '/api/policies';
  const suffix = operator ? 'operator_policy' : 'policy';
  const what = operator ? 'operator policy' : 'policy';
  return [
    {
      name: `set_${suffix}`,
      usage: `[--vhost <vhost>] [--priority <priority>] [--apply-to <apply-to>] <name> <pattern> <definition>`,
      description: operator ? 'Sets an operator policy override: limits that win over a looser policy or argument' : 'Sets or updates a policy',
      argHelp: [
        ['<name>', `the ${what}'s name`],
        ['<pattern>', 'regular expression matched against queue (and exchange) names'],
        ['<definition>', `the ${what}'s keys and values, a JSON object`],
        ['--priority <priority>', 'of overlapping policies, the one with the highest priority applies (default 0)'],
        ['--apply-to <queues|exchanges|all>', 'the kind of object it applies to (default all)'],
      ],
      minArgs: 3,
      maxArgs: 3,
      options: ['priority', 'apply-to'],
      requires: 'running',
      validate: (_args, ctx) => void priorityOf(ctx),
      banner: (args, ctx) =>
        `Setting ${operator ? 'operator policy override' : 'policy'} "${args[0]}" for pattern "${args[1]}" to "${args[2]}" with priority "${priorityOf(ctx)}" for vhost "${ctx.opts.vhost}" ...`,
      async run(args, ctx) {
        const [name, pattern, text] = args as [string, string, string];
        const vhost = ctx.opts.vhost;
        let definition: unknown;
        try {
          definition = JSON.parse(text);
        } catch {
          throw operationError(ExitCode.unavailable, 'JSON decoding error. Reason: badarg');
        }
        try {
          await ctx.api.send('PUT', `${api}/${seg(vhost)}/${seg(name)}`, { body: { pattern, definition, priority: priorityOf(ctx), 'apply-to': applyToOf(ctx) } });
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) throw vhostDoesNotExist(vhost);
          if (e instanceof ApiError && e.status === 400) throw operationError(ExitCode.unavailable, unescapeHtml(String(e.reason ?? e.error)));
          throw unexpected(e);
        }
      },
    },
    {
      name: `clear_${suffix}`,
      usage: '[--vhost <vhost>] <name>',
      description: `Clears (removes) a ${what}`,
      argHelp: [['<name>', `the ${what} to remove`]],
      minArgs: 1,
      maxArgs: 1,
      requires: 'running',
      banner: (args, ctx) => `Clearing ${what} "${args[0]}" on vhost "${ctx.opts.vhost}" ...`,
      async run(args, ctx) {
        const vhost = ctx.opts.vhost;
        const name = args[0] ?? '';
        try {
          await ctx.api.send('DELETE', `${api}/${seg(vhost)}/${seg(name)}`);
        } catch (e) {
          // rabbitmqctl says the same for a missing policy and a missing vhost
          if (e instanceof ApiError && e.status === 404) throw operationError(ExitCode.unavailable, 'Parameter does not exist');
          throw unexpected(e);
        }
      },
    },
    {
      name: `list_${suffix === 'policy' ? 'policies' : 'operator_policies'}`,
      usage: '[--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
      description: operator ? 'Lists operator policy overrides for a virtual host' : 'Lists all policies in a virtual host',
      minArgs: 0,
      maxArgs: 0,
      requires: 'running',
      banner: (_args, ctx) => `Listing ${operator ? 'operator policy overrides' : 'policies'} for vhost "${ctx.opts.vhost}" ...`,
      async run(_args, ctx) {
        const vhost = ctx.opts.vhost;
        const list = await apiCall(ctx.api.get<ApiPolicy[]>(`${api}/${seg(vhost)}`), () => vhostDoesNotExist(vhost));
        // rabbitmqctl shows the definition as its JSON text, in tables and in --formatter json alike
        const rows = list.map((p) => ({ ...p, definition: JSON.stringify(p.definition) }));
        ctx.list(COLUMNS, rows, 'list');
      },
    },
  ];
}

export const policyCommandList: Command[] = [...policyCommands(false), ...policyCommands(true)];
