/**
 * A small least-recently-used map for values that never change once made (trees by id, a step's
 * records): repeated pages of one list read the list once.
 */
export class Lru<V> {
  private readonly map = new Map<string, Promise<V>>();

  constructor(private readonly capacity: number) {}

  get(key: string, make: () => Promise<V>): Promise<V> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const made = make();
    this.map.set(key, made);
    made.catch(() => this.map.delete(key));
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
    return made;
  }
}
