// A latency histogram with log-linear buckets (about 3 % resolution), recording in microseconds,
// no allocation per sample. Values: 0 µs .. ~71 minutes. The maximum is kept exactly.
const NBUCKETS = 64 + 26 * 32;

function bucketOf(us) {
  if (us < 64) return us;
  const e = 31 - Math.clz32(us); // >= 6
  return 64 + ((e - 6) << 5) + ((us >>> (e - 5)) & 31);
}

/** Midpoint of a bucket in µs. */
function bucketMid(i) {
  if (i < 64) return i;
  const k = i - 64;
  const e = 6 + (k >> 5);
  const m = 32 + (k & 31);
  const scale = 2 ** (e - 5);
  return (m + 0.5) * scale;
}

export class Hist {
  constructor() {
    this.counts = new Float64Array(NBUCKETS);
    this.n = 0;
    this.sum = 0;
    this.maxNs = 0;
  }

  /** Records one duration in nanoseconds. */
  record(ns) {
    if (ns < 0) ns = 0;
    let us = ns / 1000;
    us = us >= 4294967295 ? 4294967295 : us >>> 0;
    this.counts[bucketOf(us)]++;
    this.n++;
    this.sum += ns;
    if (ns > this.maxNs) this.maxNs = ns;
  }

  reset() {
    this.counts.fill(0);
    this.n = 0;
    this.sum = 0;
    this.maxNs = 0;
  }

  merge(o) {
    for (let i = 0; i < NBUCKETS; i++) this.counts[i] += o.counts[i];
    this.n += o.n;
    this.sum += o.sum;
    if (o.maxNs > this.maxNs) this.maxNs = o.maxNs;
    return this;
  }

  /** Quantile q in [0,1], in milliseconds (null when empty). */
  quantileMs(q) {
    if (this.n === 0) return null;
    const target = Math.max(1, Math.ceil(q * this.n));
    let acc = 0;
    for (let i = 0; i < NBUCKETS; i++) {
      acc += this.counts[i];
      if (acc >= target) return Math.min(bucketMid(i) / 1000, this.maxNs / 1e6);
    }
    return this.maxNs / 1e6;
  }

  maxMs() { return this.n === 0 ? null : this.maxNs / 1e6; }
  meanMs() { return this.n === 0 ? null : this.sum / this.n / 1e6; }

  summary() {
    return { n: this.n, p50: this.quantileMs(0.5), p99: this.quantileMs(0.99), max: this.maxMs(), mean: this.meanMs() };
  }

  /** Plain, sparse form for IPC / JSON. */
  toJSON() {
    const b = [];
    for (let i = 0; i < NBUCKETS; i++) if (this.counts[i] !== 0) b.push(i, this.counts[i]);
    return { n: this.n, sum: this.sum, maxNs: this.maxNs, b };
  }

  static from(j) {
    const h = new Hist();
    if (!j) return h;
    h.n = j.n; h.sum = j.sum; h.maxNs = j.maxNs;
    for (let i = 0; i < j.b.length; i += 2) h.counts[j.b[i]] = j.b[i + 1];
    return h;
  }
}
