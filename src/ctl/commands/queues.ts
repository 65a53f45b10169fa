// Acting on queues and connections: purge_queue, delete_queue, close_connection.
import { ApiError, seg } from '../client.js';
import type { Command } from '../command.js';
import { type Context, unexpected } from '../context.js';
import { badArgument, CtlError, ExitCode, operationError } from '../errors.js';
import { pidFor } from './pids.js';

/** GET /api/queues/{vhost}/{name} (the fields used here) */
interface ApiQueue {
  messages_ready?: number;
}

export const queueCommands: Command[] = [
  {
    name: 'purge_queue',
    usage: '<queue> [--timeout <timeout>]',
    description: 'Removes the ready messages of a queue',
    argHelp: [['<queue>', 'the queue, in the vhost of -p']],
    minArgs: 1,
    maxArgs: 1,
    requires: 'running',
    banner: (args, ctx) => `Purging queue '${args[0]}' in vhost '${ctx.opts.vhost}' ...`,
    async run(args, ctx) {
      try {
        await ctx.api.send('DELETE', `/api/queues/${seg(ctx.opts.vhost)}/${seg(args[0] ?? '')}/contents`);
      } catch (e) {
        // rabbitmqctl reports the failed lookup as the bare reason, with exit 69
        if (e instanceof ApiError && e.status === 404) throw operationError(ExitCode.unavailable, 'not_found');
        throw unexpected(e);
      }
    },
  },
  {
    name: 'delete_queue',
    usage: '<queue_name> [--if-empty|-e] [--if-unused|-u] [--timeout <timeout>]',
    description: 'Deletes a queue, optionally only when it is empty or unused',
    argHelp: [
      ['<queue_name>', 'the queue, in the vhost of -p'],
      ['--if-empty, -e', 'only if no message is ready'],
      ['--if-unused, -u', 'only if it has no consumer'],
    ],
    minArgs: 1,
    maxArgs: 1,
    options: ['if-empty', 'if-unused'],
    requires: 'running',
    validate(args) {
      if (args[0] === '') throw badArgument('queue name cannot be an empty string');
    },
    banner(args, ctx) {
      const conditions: string[] = [];
      if (ctx.opts.flags['if-empty'] === true) conditions.push('if queue is empty ');
      if (ctx.opts.flags['if-unused'] === true) conditions.push('if queue is unused ');
      return `Deleting queue '${args[0]}' on vhost '${ctx.opts.vhost}' ${conditions.join('and ')}...`;
    },
    async run(args, ctx) {
      const path = `/api/queues/${seg(ctx.opts.vhost)}/${seg(args[0] ?? '')}`;
      const messages = await queueLength(ctx, path);
      const query = new URLSearchParams();
      if (ctx.opts.flags['if-empty'] === true) query.set('if-empty', 'true');
      if (ctx.opts.flags['if-unused'] === true) query.set('if-unused', 'true');
      const q = query.toString();
      try {
        await ctx.api.send('DELETE', q ? `${path}?${q}` : path);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) throw new CtlError(ExitCode.usage, 'Error:\nQueue not found');
        // RabbitMQ's API answers 400 when a condition does not hold
        if (e instanceof ApiError && e.status === 400) {
          const why = /empty/i.test(e.reason) ? 'Queue is not empty' : 'Queue is in use';
          throw new CtlError(ExitCode.usage, `Error:\n${why}`);
        }
        throw unexpected(e);
      }
      ctx.message(`Queue was successfully deleted with ${messages} ready messages`);
    },
  },
  {
    name: 'close_connection',
    usage: '<connection pid> <explanation>',
    description: 'Closes a client connection (320 CONNECTION_FORCED with the explanation)',
    argHelp: [
      ['<connection pid>', 'the pid column of list_connections, or the connection name the management API shows'],
      ['<explanation>', 'the text the client receives'],
    ],
    minArgs: 2,
    maxArgs: 2,
    requires: 'running',
    banner: (args) => `Closing connection ${args[0]}, reason: ${args[1]}...`,
    async run(args, ctx) {
      const [id, explanation] = [args[0] ?? '', args[1] ?? ''];
      const name = await connectionName(ctx, id);
      if (name === undefined) return; // like rabbitmqctl: closing a connection that is gone is not an error
      try {
        await ctx.api.send('DELETE', `/api/connections/${seg(name)}`, { headers: { 'x-reason': explanation } });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return;
        throw unexpected(e);
      }
    },
  },
];

/** The number of ready messages in the queue ("deleted with N ready messages"); exit 64 when it does not exist. */
async function queueLength(ctx: Context, path: string): Promise<number> {
  try {
    const q = await ctx.api.get<ApiQueue>(path);
    return typeof q.messages_ready === 'number' ? q.messages_ready : 0;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new CtlError(ExitCode.usage, 'Error:\nQueue not found');
    throw unexpected(e);
  }
}

/** Resolves a pid from list_connections (or a connection name) to the connection's API name. */
async function connectionName(ctx: Context, id: string): Promise<string | undefined> {
  const conns = await ctx.api.get<{ name: string }[]>('/api/connections').catch((e: unknown) => {
    throw unexpected(e);
  });
  if (conns.some((c) => c.name === id)) return id;
  // rabbitmqctl's answer to a string that is not an Erlang pid
  if (!/^<.*>$/.test(id)) throw operationError(ExitCode.unavailable, `Error:\n{:invalid_pid_syntax, ${JSON.stringify(id)}}`);
  const node = await ctx.nodeName();
  return conns.find((c) => pidFor(node, 'connection', c.name) === id)?.name;
}
