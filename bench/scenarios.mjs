// The benchmark scenarios: one entry each, run by bench/run.mjs. To add a scenario, add an entry:
//   kind            'steady' | 'backlog' | 'recovery' (lib/kinds.mjs; a new kind goes there too)
//   title           one line for the report
//   size            body bytes (>= 32: the body carries producer id, sequence number, send time)
//   persistent      delivery_mode 2 (default true); queues are always durable
//   window          publisher-confirm window per publisher (0 = no confirms)
//   prefetch        consumer prefetch (basic.qos), manual acks; ackEvery: multiple-ack every N (default prefetch/2)
//   steady:   producers, consumers, queues (producer i → queue i % queues, consumer j ← queue j % queues),
//             producerProcs / consumerProcs: how many load-generator processes share them;
//             duration and warm-up come from --duration / --warmup
//   backlog:  count(opts) messages, producers (into one queue), then one consumer drains
//   recovery: count(opts) messages, then restarts; kill9 (default true) adds a kill -9 restart where
//             the broker supports it (Warren), after `extra` more confirmed publishes
//   rate            per-publisher rate limit, msg/s (0 = as fast as the confirm window allows)

export const SCENARIOS = [
  {
    name: 'P1', kind: 'steady',
    title: 'persistent 1 KB, publisher confirms, 1 publisher → 1 durable queue → 1 consumer',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 1, consumers: 1, queues: 1, producerProcs: 1, consumerProcs: 1,
  },
  {
    name: 'P10', kind: 'steady',
    title: 'persistent 1 KB, publisher confirms, 10 publishers → 10 durable queues → 10 consumers',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 10, consumers: 10, queues: 10, producerProcs: 2, consumerProcs: 2,
  },
  {
    name: 'BACKLOG', kind: 'backlog',
    title: 'persistent 1 KB backlog with no consumer, then drained by one consumer',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 4, producerProcs: 1,
    count: (o) => o.backlog,
  },
  {
    name: 'RECOVERY', kind: 'recovery',
    title: 'restart with a persistent backlog: time until the queue is back and delivers',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 4, producerProcs: 1, extra: 1000,
    count: (o) => o.recoveryBacklog,
  },
];

export const byName = new Map(SCENARIOS.map((s) => [s.name.toUpperCase(), s]));
