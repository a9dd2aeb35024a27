/**
 * A Map for collections that nearly always hold one entry — a client view's channels
 * in the memory registry, each with its history position. A `Map` costs about 330
 * bytes before its first entry; this keeps one entry in fields and makes the Map only
 * for a second (README "Performance": memory per idle connection). Keys are never
 * `undefined`.
 */
export class SmallMap<K, V> {
  private key: K | undefined = undefined;
  private value: V | undefined = undefined;
  private many: Map<K, V> | undefined = undefined;

  get size(): number {
    if (this.many) return this.many.size;
    return this.key === undefined ? 0 : 1;
  }

  has(key: K): boolean {
    return this.many ? this.many.has(key) : this.key === key;
  }

  get(key: K): V | undefined {
    if (this.many) return this.many.get(key);
    return this.key === key ? this.value : undefined;
  }

  set(key: K, value: V): this {
    if (this.many) this.many.set(key, value);
    else if (this.key === undefined || this.key === key) {
      this.key = key;
      this.value = value;
    } else {
      this.many = new Map([
        [this.key, this.value as V],
        [key, value],
      ]);
      this.key = undefined;
      this.value = undefined;
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.many) {
      const deleted = this.many.delete(key);
      if (this.many.size === 1) {
        [[this.key, this.value]] = this.many;
        this.many = undefined;
      }
      return deleted;
    }
    if (this.key !== key || key === undefined) return false;
    this.key = undefined;
    this.value = undefined;
    return true;
  }

  keys(): IterableIterator<K> {
    if (this.many) return this.many.keys();
    return (this.key === undefined ? [] : [this.key]).values();
  }
}
