// Resource alarms, as RabbitMQ raises them: free disk space on the data dir's filesystem below
// disk_free_limit, or the broker's memory above vm_memory_high_watermark. While any alarm is set,
// publishers are blocked (connection.blocked) and consumers keep flowing.
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { memoryPressure } from './core/queue/queue.js';
import type { Logger } from './log.js';

/** How often resources are sampled. RabbitMQ samples memory every second too. */
const INTERVAL_MS = 1000;

export interface AlarmTarget {
  setAlarm(name: string, reason: string): void;
  clearAlarm(name: string): void;
}

export class ResourceMonitor {
  private timer: NodeJS.Timeout | null = null;
  readonly memoryLimit: number;

  constructor(
    private readonly dataDir: string,
    private readonly diskFreeLimit: number,
    /** a fraction of RAM when ≤ 1, otherwise bytes */
    vmMemoryHighWatermark: number,
    private readonly target: AlarmTarget,
    private readonly log: Logger,
    /** share of the limit above which queues page transient messages out */
    private readonly pagingRatio = 0.5,
  ) {
    this.memoryLimit = vmMemoryHighWatermark <= 1 ? Math.floor(totalmem() * vmMemoryHighWatermark) : vmMemoryHighWatermark;
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Free bytes on the data dir's filesystem (for non-root users, as df shows). */
  diskFree(): number {
    const s = statfsSync(this.dataDir);
    return s.bavail * s.bsize;
  }

  check(): void {
    try {
      const free = this.diskFree();
      if (free < this.diskFreeLimit) this.target.setAlarm('disk', 'low on disk');
      else this.target.clearAlarm('disk');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'cannot read free disk space');
    }
    const rss = process.memoryUsage.rss();
    if (this.log.isLevelEnabled('debug')) {
      const m = process.memoryUsage();
      this.log.debug({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }, 'memory');
    }
    if (rss > this.memoryLimit) this.target.setAlarm('memory', 'low on memory');
    else this.target.clearAlarm('memory');
    // queues page transient messages out well before the alarm (vm_memory_high_watermark_paging_ratio), so it stays a last resort
    memoryPressure.on = rss > this.memoryLimit * this.pagingRatio;
  }
}
