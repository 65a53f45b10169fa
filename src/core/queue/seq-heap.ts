// Min-heap of queue entries by their queue sequence number. Requeued messages wait here so that
// they go back to their original place: every requeued entry is older than every never-delivered one.
export interface Sequenced {
  readonly seq: number;
}

export class SeqHeap<T extends Sequenced> {
  private readonly a: T[] = [];

  get length(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  push(v: T): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as T).seq <= v.seq) break;
      a[i] = a[p] as T;
      i = p;
    }
    a[i] = v;
  }

  pop(): T | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0] as T;
    const last = a.pop() as T;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && (a[r] as T).seq < (a[l] as T).seq ? r : l;
        if ((a[c] as T).seq >= last.seq) break;
        a[i] = a[c] as T;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): T[] {
    return this.a.splice(0, this.a.length);
  }

  values(): readonly T[] {
    return this.a;
  }
}
