import fs from 'node:fs';

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

  constructor(private readonly walFile: string) {}

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
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
    // Opened on first use: the log exists once the first transaction has committed.
    this.fd ??= fs.openSync(this.walFile, 'r');
    const fd = this.fd;
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
