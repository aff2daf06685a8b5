/**
 * Reusable buffers for frame bodies on a hot path (file chunks). Each body of a 256 KiB chunk
 * would otherwise be a fresh off-heap allocation, and a gigabyte of them makes V8 collect garbage
 * for the external memory alone (a tenth of a file server's CPU during a large upload). A body
 * taken from the pool goes back with `give` once nothing refers to it any more (its chunk written).
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly mine = new WeakSet<ArrayBuffer>();

  constructor(
    /** Size of each pooled buffer; longer requests get a plain allocation. */
    readonly bufferBytes: number,
    /** Buffers kept for reuse at most (the rest are left to the GC). */
    private readonly maxFree = 64,
  ) {}

  /** A buffer of `length` bytes, pooled when it fits. Its content is not zeroed. */
  take(length: number): Buffer {
    if (length > this.bufferBytes) return Buffer.allocUnsafe(length);
    let store = this.free.pop();
    if (!store) {
      store = new ArrayBuffer(this.bufferBytes);
      this.mine.add(store);
    }
    return Buffer.from(store, 0, length);
  }

  /** Returns a buffer (or any view of it) taken from this pool; anything else is ignored. */
  give(view: Uint8Array): void {
    const store = view.buffer;
    if (store instanceof ArrayBuffer && this.mine.has(store) && this.free.length < this.maxFree && !this.free.includes(store)) this.free.push(store);
  }

  get available(): number {
    return this.free.length;
  }
}
