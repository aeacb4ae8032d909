import fs from 'node:fs';
import path from 'node:path';

/**
 * Makes SQLite's write-ahead log durable without stopping the event loop: the connection commits
 * with `synchronous=NORMAL` (the commit reaches the operating system, not yet the disk), then this
 * syncs the WAL file on libuv's thread pool. A caller is answered only after a sync that began
 * after its commit, which is what `synchronous=FULL` would have given, while the next batch already
 * runs. Syncs are coalesced: at most one runs and one waits behind it, serving everyone who asked.
 */
export class WalSync {
  private fd: number | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /**
   * Set by the first failed sync, after which every sync fails: on Linux a failed write-back is
   * reported once, and a later sync may succeed without the lost pages, so nothing committed after
   * it can be called durable. The process must be restarted (SQLite then recovers from the log).
   */
  private failure: Error | null = null;

  constructor(private readonly walFile: string) {}

  /** Throws when a sync has failed: the store can no longer promise durability. */
  assertHealthy(): void {
    if (this.failure) throw this.failure;
  }

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.running === null) {
      this.running = this.syncNow().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // A sync already under way may have started before the caller's commit: wait for the next one.
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.sync();
  }

  private async syncNow(): Promise<void> {
    try {
      const fd = this.open();
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      this.failure = new Error(`the write-ahead log could not be synced to disk: ${(error as Error).message}`, { cause: error });
      throw this.failure;
    }
  }

  /** Opened on first use (the log exists once the first transaction has committed), with its directory entry synced once. */
  private open(): number {
    if (this.fd !== null) return this.fd;
    this.fd = fs.openSync(this.walFile, 'r+');
    const directory = fs.openSync(path.dirname(this.walFile), 'r');
    try {
      fs.fsyncSync(directory);
    } finally {
      fs.closeSync(directory);
    }
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
