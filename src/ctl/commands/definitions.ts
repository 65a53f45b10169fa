// export_definitions and import_definitions: RabbitMQ's definitions JSON through GET and POST
// /api/definitions. The file is read and written here, on the machine warrenctl runs on, as
// rabbitmqctl does.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ApiError } from '../client.js';
import type { Command } from '../command.js';
import { type Context, unexpected } from '../context.js';
import { badArgument, CtlError, ExitCode } from '../errors.js';
import { sortedJson } from '../format.js';

function checkFormat(ctx: Context): void {
  const f = ctx.opts.flags.format;
  if (f === undefined || (typeof f === 'string' && f.toLowerCase() === 'json')) return;
  if (f === 'erlang') throw badArgument('the Erlang term format is not supported by Warren; use --format json');
  throw badArgument('Format should be either json or erlang');
}

/** File errors, in rabbitmqctl's words (exit 65). */
function fileError(err: unknown, path: string, writing: boolean): CtlError {
  const code = (err as NodeJS.ErrnoException).code;
  const text =
    code === 'ENOENT'
      ? `Parent directory or file ${path} does not exist`
      : code === 'ENOTDIR'
        ? `Parent directory of file ${path} is not a directory`
        : code === 'ENOSPC'
          ? `No space left on device hosting ${path}`
          : code === 'EACCES'
            ? `No permissions to ${writing ? 'write to' : 'read from'} file ${path} or its parent directory`
            : code === 'EISDIR'
              ? `Path ${path} is a directory`
              : `Could not ${writing ? 'write to' : 'read from'} file ${path}: ${(err as Error).message}`;
  return new CtlError(ExitCode.dataErr, `Error:\n${text}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const definitionCommands: Command[] = [
  {
    name: 'export_definitions',
    usage: '<file_path | "-"> [--format <json | erlang>] [--timeout <timeout>]',
    description: 'Writes the definitions (users, vhosts, permissions, durable queues, exchanges, bindings) as RabbitMQ JSON',
    argHelp: [
      ['<file>', 'the file to write, or - for standard output'],
      ['--format json', 'the only format Warren writes'],
    ],
    minArgs: 1,
    maxArgs: 1,
    options: ['format'],
    requires: 'running',
    validate(args, ctx) {
      checkFormat(ctx);
      const path = args[0] ?? '';
      if (path !== '-' && !existsSync(dirname(path))) throw badArgument(`Directory ${dirname(path)} does not exist`);
    },
    // printing to stdout: the JSON alone, so it can be piped (rabbitmqctl turns on --silent)
    banner: (args) => (args[0] === '-' ? [] : `Exporting definitions in JSON to a file at "${args[0]}" ...`),
    async run(args, ctx) {
      let defs: unknown;
      try {
        defs = await ctx.api.get<unknown>('/api/definitions');
      } catch (e) {
        throw unexpected(e);
      }
      const json = JSON.stringify(defs);
      const path = args[0] ?? '';
      if (path === '-') {
        // raw, as rabbitmqctl: no newline after the document
        ctx.printRaw(json);
        return;
      }
      const abs = resolve(path);
      try {
        rmSync(abs, { force: true });
        writeFileSync(abs, json);
      } catch (e) {
        throw fileError(e, path, true);
      }
    },
  },
  {
    name: 'import_definitions',
    usage: '<file_path | "-"> [--format <json | erlang>] [--timeout <timeout>]',
    description: 'Loads definitions from a RabbitMQ JSON file (one exported by RabbitMQ works)',
    argHelp: [
      ['<file>', 'the file to read; standard input when left out or -'],
      ['--format json', 'the only format Warren reads'],
    ],
    minArgs: 0,
    maxArgs: 1,
    options: ['format'],
    requires: 'running',
    validate(args, ctx) {
      checkFormat(ctx);
      const path = args[0];
      if (path !== undefined && path !== '-' && !existsSync(path)) throw badArgument(`File ${path} does not exist`);
    },
    banner: (args) =>
      args.length === 0 || args[0] === '-'
        ? 'Importing definitions in JSON from standard input ...'
        : `Importing definitions in JSON from a file at "${args[0]}" ...`,
    async run(args, ctx) {
      const path = args[0];
      let text: string;
      if (path === undefined || path === '-') {
        text = await readStdin();
        if (text === '') throw new CtlError(ExitCode.dataErr, 'Error:\nno definitions on standard input');
      } else {
        try {
          if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
          text = readFileSync(path, 'utf8');
        } catch (e) {
          throw fileError(e, path, false);
        }
        if (text === '') throw new CtlError(ExitCode.dataErr, `Error:\nFile ${path} is zero-sized`);
      }
      let defs: unknown;
      try {
        defs = JSON.parse(text) as unknown;
      } catch (e) {
        throw new CtlError(ExitCode.dataErr, `Error:\nFailed to deserialise input (format: JSON) (error: ${(e as Error).message})`);
      }
      try {
        await ctx.api.send('POST', '/api/definitions', { body: defs });
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) throw new CtlError(ExitCode.dataErr, `Error:\n${e.reason || e.error}`);
        throw unexpected(e);
      }
      // rabbitmqctl prints this JSON without a newline (its raw printer)
      if (ctx.opts.json) ctx.printRaw(sortedJson({ node: await ctx.nodeName(), result: 'ok' }));
      else if (!ctx.quiet) ctx.print('Successfully started definition import. This process is asynchronous and can take some time.');
    },
  },
];
