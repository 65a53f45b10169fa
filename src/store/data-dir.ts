// The data directory: its format marker and the lock that keeps two brokers out of one directory.
//   <dataDir>/format        {"format":"warren","version":1}; a newer version is refused, not misread
//   <dataDir>/warren.lock   the owning broker's pid; a lock left by a dead process is taken over
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const FORMAT_VERSION = 1;

export class DataDirError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes a file atomically: tmp file, fsync, rename, fsync of the directory. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(join(path, '..'), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** writeFileAtomic without blocking the event loop. */
export async function writeFileAtomicAsync(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(join(path, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export class DataDir {
  private locked = false;
  /** ids of brokers in this process holding a directory (in-process tests start several) */
  private static readonly heldHere = new Set<string>();

  constructor(readonly path: string) {}

  /** Creates the directory if needed, takes the lock and checks the format. Throws DataDirError. */
  open(): void {
    mkdirSync(this.path, { recursive: true });
    this.lock();
    try {
      this.checkFormat();
    } catch (e) {
      this.unlock();
      throw e;
    }
  }

  private lock(): void {
    const lockPath = join(this.path, 'warren.lock');
    if (DataDir.heldHere.has(lockPath)) throw new DataDirError(`data directory ${this.path} is already in use by another broker in this process`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lockPath, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        this.locked = true;
        DataDir.heldHere.add(lockPath);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number(readFileSync(lockPath, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new DataDirError(`data directory ${this.path} is in use by another Warren (pid ${pid})`);
        }
        unlinkSync(lockPath); // left by a process that is gone (e.g. killed): take it over
      }
    }
    throw new DataDirError(`cannot lock data directory ${this.path}`);
  }

  private checkFormat(): void {
    const p = join(this.path, 'format');
    if (!existsSync(p)) {
      const other = readdirSync(this.path).filter((f) => f !== 'warren.lock');
      if (other.some((f) => f === 'store' || f === 'definitions.json')) {
        throw new DataDirError(`data directory ${this.path} has no format marker; refusing to guess what wrote it`);
      }
      writeFileAtomic(p, `${JSON.stringify({ format: 'warren', version: FORMAT_VERSION })}\n`);
      return;
    }
    let v: { format?: unknown; version?: unknown };
    try {
      v = JSON.parse(readFileSync(p, 'utf8')) as typeof v;
    } catch {
      throw new DataDirError(`data directory ${this.path} has an unreadable format marker`);
    }
    if (v.format !== 'warren' || typeof v.version !== 'number') throw new DataDirError(`data directory ${this.path} was not written by Warren`);
    if (v.version > FORMAT_VERSION) {
      throw new DataDirError(`data directory ${this.path} uses storage format ${v.version}, newer than this Warren understands (${FORMAT_VERSION}); upgrade Warren`);
    }
  }

  unlock(): void {
    if (!this.locked) return;
    const lockPath = join(this.path, 'warren.lock');
    DataDir.heldHere.delete(lockPath);
    this.locked = false;
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
  }
}
