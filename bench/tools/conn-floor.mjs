#!/usr/bin/env node
// The memory floor of a connection in Node on this machine: a do-nothing Node TCP server (it reads
// and writes a few bytes per connection, no AMQP) in a child process, N connections that each send
// 300 bytes (about an AMQP handshake), and the server's RSS growth per connection after 1.5 s —
// the same way S7 measures "broker RSS per connection". Compare with S7's figures.
//   node bench/tools/conn-floor.mjs [--connections 210]
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

if (process.argv[2] === '--server') {
  const srv = net.createServer({ noDelay: true }, (s) => s.on('data', (d) => s.write(d.subarray(0, 8))));
  srv.listen(0, '127.0.0.1', () => process.send(srv.address().port));
} else {
  const { values } = parseArgs({ options: { connections: { type: 'string', default: '210' } } });
  const n = Number(values.connections);
  const server = fork(new URL(import.meta.url).pathname, ['--server'], { execArgv: ['--max-semi-space-size=4'] });
  const port = await new Promise((r) => server.once('message', r));
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  await sleep(300);
  const before = rss();
  const conns = [];
  for (let i = 0; i < n; i++) {
    const c = net.connect(port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    c.write(Buffer.alloc(300));
    conns.push(c);
  }
  await sleep(1500);
  console.log(`bare Node server: ${((rss() - before) / n).toFixed(1)} KB RSS per connection (${n} connections)`);
  for (const c of conns) c.destroy();
  server.kill();
}
