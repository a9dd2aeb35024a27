/**
 * A Set for collections that nearly always hold one member — a view's connections and
 * channels on this instance. A `Set` costs about 180 bytes before its first member;
 * this holds one member in a field and makes the Set only for a second (README
 * "Performance": memory per idle connection). Members are never `undefined`.
 */
export class SmallSet<T> implements Iterable<T> {
  private one: T | undefined = undefined;
  private many: Set<T> | undefined = undefined;

  get size(): number {
    if (this.many) return this.many.size;
    return this.one === undefined ? 0 : 1;
  }

  has(value: T): boolean {
    return this.many ? this.many.has(value) : this.one === value;
  }

  add(value: T): this {
    if (this.many) this.many.add(value);
    else if (this.one === undefined) this.one = value;
    else if (this.one !== value) {
      this.many = new Set([this.one, value]);
      this.one = undefined;
    }
    return this;
  }

  delete(value: T): boolean {
    if (this.many) {
      const deleted = this.many.delete(value);
      // Back to a field once one member is left (a second tab closed).
      if (this.many.size === 1) {
        this.one = this.many.values().next().value as T;
        this.many = undefined;
      }
      return deleted;
    }
    if (this.one !== value || value === undefined) return false;
    this.one = undefined;
    return true;
  }

  [Symbol.iterator](): Iterator<T> {
    if (this.many) return this.many.values();
    return (this.one === undefined ? [] : [this.one]).values();
  }
}
