/**
 * A map bounded by the total cost of its values, least recently used out first. The server
 * keeps serialised user-list pages by their ETag in one (cost: string length, bounded by
 * APPT_LIST_CACHE_MB; nothing is ever invalidated — a change gives a new tag and the old
 * entry ages out), the API client its GET answers for revalidation (cost 1 each, bounded
 * by count). A value costing more than the bound is not kept; a bound of 0 keeps nothing.
 */
export class BoundedLru<V> {
  private readonly items = new Map<string, V>();
  private total = 0;
  constructor(
    private readonly maxCost: number,
    private readonly cost: (v: V) => number,
  ) {}

  get(key: string): V | undefined {
    const v = this.items.get(key);
    if (v !== undefined) {
      this.items.delete(key);
      this.items.set(key, v);
    }
    return v;
  }

  delete(key: string): void {
    const old = this.items.get(key);
    if (old === undefined) return;
    this.items.delete(key);
    this.total -= this.cost(old);
  }

  set(key: string, v: V): void {
    const c = this.cost(v);
    if (c > this.maxCost) return;
    this.delete(key);
    this.items.set(key, v);
    this.total += c;
    for (const [k, old] of this.items) {
      if (this.total <= this.maxCost) break;
      this.items.delete(k);
      this.total -= this.cost(old);
    }
  }

  get size(): { entries: number; cost: number } {
    return { entries: this.items.size, cost: this.total };
  }
}
