/**
 * A bytes-bounded LRU of promised values. Values in flight are shared (two readers of one key wait
 * on one fetch) and count only once resolved; a rejected value is dropped so the next get refetches.
 */
export class PromiseLru<K, V> {
  readonly #entries = new Map<K, Promise<V>>();
  readonly #sizes = new Map<K, number>();
  readonly #maxBytes: number;
  readonly #sizeOf: (value: V) => number;
  #bytes = 0;

  constructor(maxBytes: number, sizeOf: (value: V) => number) {
    this.#maxBytes = maxBytes;
    this.#sizeOf = sizeOf;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The value's promise, marked as recently used. */
  get(key: K): Promise<V> | undefined {
    const hit = this.#entries.get(key);
    const size = this.#sizes.get(key);
    if (hit && size !== undefined) {
      // Map iteration order is insertion order: re-inserting moves the key to the young end.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      this.#sizes.delete(key);
      this.#sizes.set(key, size);
    }
    return hit;
  }

  set(key: K, value: Promise<V>): void {
    this.#forget(key);
    this.#entries.set(key, value);
    value.then(
      (v) => {
        if (this.#entries.get(key) !== value) return; // replaced or evicted meanwhile
        const size = this.#sizeOf(v);
        this.#sizes.set(key, size);
        this.#bytes += size;
        this.#evict();
      },
      () => {
        if (this.#entries.get(key) === value) this.#entries.delete(key);
      },
    );
  }

  #forget(key: K): void {
    const size = this.#sizes.get(key);
    if (size !== undefined) this.#bytes -= size;
    this.#sizes.delete(key);
    this.#entries.delete(key);
  }

  #evict(): void {
    for (const [old] of this.#sizes) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#forget(old);
    }
  }
}
