// The benchmark scenarios: one entry each, run by bench/run.mjs. To add a scenario, add an entry:
//   kind            'steady' | 'backlog' | 'recovery' (lib/kinds.mjs; a new kind goes there too)
//   title           one line for the report
//   size            body bytes (>= 16: the body carries producer id, sequence number, send time)
//   persistent      delivery_mode 2 (default true)
//   durable         queues durable (default: same as persistent)
//   window          publisher-confirm window per publisher (0 = no confirms)
//   prefetch        consumer prefetch (basic.qos), manual acks; ackEvery: multiple-ack every N (default prefetch/2)
//   noAck           consumers use auto-ack (no basic.qos, no acks)
//   rate            per-publisher rate limit, msg/s (0 = as fast as the confirm window / the socket allows)
//   steady:   producers, consumers, queues (producer i → queue i % queues, consumer j ← queue j % queues),
//             producerProcs / consumerProcs: how many load-generator processes share them;
//             duration and warm-up come from --duration / --warmup
//             exchange: { type, bindings(i) → binding keys of queue i, copies: queues each message
//             reaches, partial: true if a queue sees only some of a producer's messages, describe }
//             with keys: routing keys (same length) the publishers use in turn;
//             perConnection: report broker RSS per client connection
//   backlog:  count(opts) messages, producers (into one queue), then one consumer drains
//   recovery: count(opts) messages, then restarts; kill9 (default true) adds a kill -9 restart where
//             the broker supports it (Warren), after `extra` more confirmed publishes
//   queueArgs       queue.declare arguments of the scenario's queues (steady), e.g. { 'x-max-priority': 10 }
//   priority(i)     the priority property publisher i sets on its messages (steady)
//   targets         what the issue asks of Warren, checked in the report:
//                   { figure, ratio: '>=' | '<=', value }  Warren / RabbitMQ median ratio
//                   { figure, abs: '>=' | '<=', value }    Warren's median, in the figure's unit

// S5: 100 keys s.<a>.<b>; 100 queues in ten groups of ten, group g binds queue i of the group with
// one of four pattern shapes, so that every key matches exactly ten queues.
const TOPIC_KEYS = [];
for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) TOPIC_KEYS.push(`s.${a}.${b}`);
const TOPIC_SHAPES = [(i) => `s.${i}.*`, (i) => `*.*.${i}`, (i) => `#.${i}`, (i) => `s.${i}.#`];
const topicBinding = (q) => [TOPIC_SHAPES[Math.floor(q / 10) % 4](q % 10)];

const THROUGHPUT = [
  { figure: 'recv_rate', ratio: '>=', value: 2 },
  { figure: 'msgs_per_cpu', ratio: '>=', value: 3 },
];
const DURABLE = [
  { figure: 'pub_rate', ratio: '>=', value: 2 },
  { figure: 'confirm_p99', ratio: '<=', value: 1 },
];

export const SCENARIOS = [
  {
    name: 'S1', kind: 'steady',
    title: '16 B transient, 1 publisher → 1 queue → 1 consumer, auto-ack, unlimited rate',
    size: 16, persistent: false, window: 0, noAck: true,
    producers: 1, consumers: 1, queues: 1,
    targets: THROUGHPUT,
  },
  {
    name: 'S2', kind: 'steady',
    title: '1 KB transient, 1 publisher → 1 queue → 1 consumer, auto-ack, unlimited rate',
    size: 1024, persistent: false, window: 0, noAck: true,
    producers: 1, consumers: 1, queues: 1,
    targets: THROUGHPUT,
  },
  {
    name: 'S3', kind: 'steady',
    title: '1 KB persistent, confirms (window 100), 1 publisher → 1 durable queue → 1 consumer, manual ack, prefetch 100',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 1, consumers: 1, queues: 1,
    targets: DURABLE,
  },
  {
    name: 'S4', kind: 'steady',
    title: 'fanout 256 B transient: 1 publisher → 10 queues → 10 consumers',
    size: 256, persistent: false, window: 0, noAck: true,
    producers: 1, consumers: 10, queues: 10, consumerProcs: 2,
    exchange: { type: 'fanout', copies: 10, describe: 'all ten queues bound' },
    targets: THROUGHPUT,
  },
  {
    name: 'S5', kind: 'steady',
    title: 'topic exchange, 100 queues bound with * and # patterns, routing keys cycling, transient',
    size: 64, persistent: false, window: 0, noAck: true,
    producers: 1, consumers: 100, queues: 100, consumerProcs: 2,
    exchange: {
      type: 'topic', bindings: topicBinding, copies: 10, partial: true,
      describe: 'queue i bound with one of s.N.*, *.*.N, #.N, s.N.#; 100 routing keys s.A.B used in turn, each matching 10 queues',
    },
    keys: TOPIC_KEYS,
    targets: THROUGHPUT,
  },
  {
    name: 'S6', kind: 'steady',
    title: 'latency: 1 KB transient at a fixed 1,000 msg/s, 1 publisher → 1 queue → 1 consumer',
    size: 1024, persistent: false, window: 0, rate: 1000, prefetch: 100, ackEvery: 50,
    producers: 1, consumers: 1, queues: 1,
    targets: [{ figure: 'e2e_p99', ratio: '<=', value: 0.5 }],
  },
  {
    name: 'S7', kind: 'steady',
    title: '200 publishing connections at 5 msg/s each (1 KB transient) → 10 queues → 10 consumers',
    size: 1024, persistent: false, window: 0, rate: 5, prefetch: 100, ackEvery: 50,
    producers: 200, consumers: 10, queues: 10, producerProcs: 4, consumerProcs: 1,
    perConnection: true,
    targets: [
      { figure: 'e2e_p99', ratio: '<=', value: 0.5 },
      { figure: 'rss_per_conn', ratio: '<=', value: 0.25 },
      { figure: 'rss_before', abs: '<=', value: 80 },
    ],
  },
  {
    name: 'S8', kind: 'backlog',
    title: 'backlog: 1,000,000 × 1 KB persistent with confirms and no consumer, then drained by one consumer',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 4, producerProcs: 1,
    count: (o) => o.backlog,
    targets: [
      { figure: 'rss_peak_publish', abs: '<=', value: 150 },
      { figure: 'rss_peak_drain', abs: '<=', value: 150 },
      { figure: 'publish_rate', ratio: '>=', value: 2 },
      { figure: 'drain_rate', ratio: '>=', value: 2 },
    ],
  },
  {
    name: 'S9', kind: 'steady',
    title: 'persistent 1 KB, confirms (window 100), 10 publishers → 10 durable queues → 10 consumers',
    size: 1024, window: 100, prefetch: 100, ackEvery: 50,
    producers: 10, consumers: 10, queues: 10, producerProcs: 2, consumerProcs: 2,
    targets: DURABLE,
  },
  // Queue features: a priority queue against the same load on a plain queue (issue 6: at most 2x
  // the cost). Four publishers at priorities 0-3, so every level is in use.
  {
    name: 'QF-PLAIN', kind: 'steady',
    title: '1 KB transient, 4 publishers → 1 plain queue → 1 consumer, auto-ack, unlimited rate',
    size: 1024, persistent: false, window: 0, noAck: true,
    producers: 4, consumers: 1, queues: 1,
  },
  {
    name: 'QF-PRIO', kind: 'steady',
    title: 'as QF-PLAIN, into a priority queue (x-max-priority 10), publisher i at priority i',
    size: 1024, persistent: false, window: 0, noAck: true,
    producers: 4, consumers: 1, queues: 1,
    queueArgs: { 'x-max-priority': 10 }, priority: (i) => i,
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
