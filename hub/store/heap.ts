/** A binary min-heap under a caller's "comes first" relation (for query merges). */
export class Heap<T> {
  readonly items: T[] = [];

  constructor(private readonly first: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const h = this.items;
    let i = h.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.first(x, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
  }

  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Restores order after the top's key changed in place. */
  updateTop(): void {
    if (this.items.length > 0) this.down(0);
  }

  private down(i: number): void {
    const h = this.items;
    const n = h.length;
    const e = h[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.first(h[c + 1], h[c])) c++;
      if (!this.first(h[c], e)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = e;
  }
}
