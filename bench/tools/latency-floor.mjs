#!/usr/bin/env node
// The latency floor of this machine: what a do-nothing Node relay (read a socket, write another;
// no AMQP, no queue) shows for the S6 shape — 1 KB messages at a fixed 1,000 msg/s, publisher →
// relay process → consumer, end-to-end latency measured in the consumer. A broker cannot beat its
// p99 here; compare it with S6's p99 for Warren and RabbitMQ.
//   node bench/tools/latency-floor.mjs [--seconds 8] [--rate 1000] [--size 1024]
import { fork } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';

if (process.argv[2] === '--relay') {
  // the relay: the first byte of a connection says whether it is the consumer ('C') or a publisher
  let consumer = null;
  const srv = net.createServer({ noDelay: true }, (s) => {
    s.once('data', (d) => {
      if (d[0] === 0x43) { consumer = s; return; }
      if (d.length > 1) consumer?.write(d.subarray(1));
      s.on('data', (x) => consumer?.write(x));
    });
  });
  srv.listen(0, '127.0.0.1', () => process.send(srv.address().port));
} else {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, rate: { type: 'string', default: '1000' }, size: { type: 'string', default: '1024' } } });
  const seconds = Number(values.seconds), rate = Number(values.rate), size = Number(values.size);
  const relay = fork(new URL(import.meta.url).pathname, ['--relay']);
  const port = await new Promise((r) => relay.once('message', r));
  const now = () => Number(process.hrtime.bigint());
  const lat = [];
  let pending = Buffer.alloc(0);
  const c = net.connect(port, '127.0.0.1', () => { c.setNoDelay(true); c.write('C'); });
  c.on('data', (d) => {
    const t = now();
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    while (pending.length >= size) { lat.push(t - pending.readDoubleLE(0)); pending = pending.subarray(size); }
  });
  await new Promise((r) => setTimeout(r, 200));
  const p = net.connect(port, '127.0.0.1', () => { p.setNoDelay(true); p.write('P'); });
  await new Promise((r) => setTimeout(r, 200));
  const t0 = now();
  let sent = 0;
  await new Promise((done) => {
    const tick = () => {
      const t = now();
      const due = Math.floor(((t - t0) * rate) / 1e9) + 1 - sent;
      for (let i = 0; i < due; i++) { const m = Buffer.alloc(size); m.writeDoubleLE(t, 0); p.write(m); sent++; }
      if (t - t0 >= seconds * 1e9) done(); else setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 300));
  lat.sort((a, b) => a - b);
  const q = (x) => (lat[Math.min(lat.length - 1, Math.floor(x * lat.length))] / 1e6).toFixed(3);
  console.log(`relay floor, ${size} B at ${rate} msg/s for ${seconds} s: n=${lat.length} p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, p99.9 ${q(0.999)} ms`);
  relay.kill();
  c.destroy();
  p.destroy();
}
