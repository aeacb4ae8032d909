/**
 * Group commit for an engine with one writer and no group commit of its own (SQLite).
 *
 * Units of work queued while a commit is in progress (or in the same turn of the event loop) run
 * one after another inside one transaction, each in its own savepoint so that a failing unit undoes
 * only itself. One commit (one fsync) then makes the whole batch durable, and only after it does any
 * caller get its answer: a unit that failed may have seen its neighbours' changes, so its error is
 * not reported until they are final either. With `durable`, the fsync runs off the event loop and
 * the next batch starts while it does.
 */
export interface BatchConnection<C> {
  /** Runs the batch with exclusive use of the connection. */
  exclusive<T>(run: (conn: C) => Promise<T>): Promise<T>;
  begin(conn: C): void | Promise<void>;
  savepoint(conn: C): void;
  release(conn: C): void;
  rollbackToSavepoint(conn: C): void;
  commit(conn: C): void;
  rollback(conn: C): void;
  /**
   * When the commit itself does not wait for the disk: resolves once it is durable. The next batch
   * runs meanwhile; this batch's callers are answered after it.
   */
  durable?(): Promise<void>;
}

interface Pending<C> {
  work: (conn: C) => Promise<unknown>;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit<C> {
  private queue: Pending<C>[] = [];
  private draining: Promise<void> | null = null;
  /** Batches committed whose durability is still awaited. */
  private readonly settling = new Set<Promise<void>>();

  constructor(
    private readonly connection: BatchConnection<C>,
    private readonly maxBatch = 512,
  ) {}

  run<T>(work: (conn: C) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (this.draining === null) {
        this.draining = new Promise<void>((done) => setImmediate(() => this.drain().finally(done)));
      }
    });
  }

  /** Resolves once everything queued so far has been committed or failed. */
  async flush(): Promise<void> {
    while (this.draining !== null) await this.draining;
    await Promise.all(this.settling);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commitBatch(batch);
      }
    } finally {
      this.draining = null;
    }
  }

  private async commitBatch(batch: Pending<C>[]): Promise<void> {
    const c = this.connection;
    let outcomes: Outcome[];
    try {
      outcomes = await c.exclusive(async (conn) => {
        await c.begin(conn);
        const results: Outcome[] = [];
        try {
          for (const item of batch) {
            c.savepoint(conn);
            try {
              const value = await item.work(conn);
              c.release(conn);
              results.push({ ok: true, value });
            } catch (error) {
              try {
                c.rollbackToSavepoint(conn);
                c.release(conn);
              } catch {
                // The error took the whole transaction with it (SQLite rolls back on a full disk or
                // an I/O error): the batch fails, with the error that ended it.
                throw error;
              }
              results.push({ ok: false, error });
            }
          }
          c.commit(conn);
        } catch (error) {
          try {
            c.rollback(conn);
          } catch {
            // The transaction is already gone; the original error is the one to report.
          }
          throw error;
        }
        return results;
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = (failure?: unknown) =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (failure !== undefined) item.reject(failure);
        else if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    if (c.durable === undefined) {
      settle();
      return;
    }
    const settled = c.durable().then(
      () => settle(),
      (error: unknown) => settle(error),
    );
    this.settling.add(settled);
    void settled.finally(() => this.settling.delete(settled));
  }
}
