import * as path from 'path';
import { readText } from '../util/quickFs';

/**
 * Dependency order among repos, from what they declare: package.json dependencies /
 * devDependencies / peerDependencies naming another repo's package, go.mod `require` of another
 * repo's module, and `.codecontext.json` `{"dependsOn": ["../other-repo"]}`. A rollback goes
 * dependents first, the reverse of a deploy, in waves; a cycle becomes one wave and is reported.
 */
export interface RepoOrder {
  /** waves[0] is rolled back first; each wave's repos are independent of each other. */
  waves: string[][];
  /** Groups of repos that depend on each other in a circle. */
  cycles: string[][];
  /** repo → the repos it depends on (within the set). */
  dependsOn: Record<string, string[]>;
}

interface Declared {
  packageName?: string;
  goModule?: string;
  packageDeps: string[];
  goRequires: string[];
  explicit: string[];
}

async function declared(repo: string): Promise<Declared> {
  const d: Declared = { packageDeps: [], goRequires: [], explicit: [] };
  const pkgText = readText(path.join(repo, 'package.json'));
  if (pkgText) {
    try {
      const pkg = JSON.parse(pkgText) as Record<string, unknown>;
      if (typeof pkg.name === 'string') d.packageName = pkg.name;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
        const deps = pkg[field];
        if (deps && typeof deps === 'object') d.packageDeps.push(...Object.keys(deps));
      }
    } catch {
      // an unparsable package.json declares nothing we can use
    }
  }
  const goMod = readText(path.join(repo, 'go.mod'));
  if (goMod) {
    d.goModule = /^module\s+(\S+)/m.exec(goMod)?.[1];
    const requireBlock = /^require\s*\(([\s\S]*?)\)/gm;
    for (const m of goMod.matchAll(requireBlock))
      d.goRequires.push(
        ...m[1]
          .split('\n')
          .map((l) => l.trim().split(/\s+/)[0])
          .filter((x) => x && !x.startsWith('//')),
      );
    for (const m of goMod.matchAll(/^require\s+([^\s(]+)/gm)) d.goRequires.push(m[1]);
  }
  const cfg = readText(path.join(repo, '.codecontext.json'));
  if (cfg) {
    try {
      const deps = (JSON.parse(cfg) as { dependsOn?: unknown }).dependsOn;
      if (Array.isArray(deps)) d.explicit.push(...deps.filter((x): x is string => typeof x === 'string').map((x) => path.resolve(repo, x)));
    } catch {
      // ignored like an unparsable package.json
    }
  }
  return d;
}

export async function orderRepos(repos: readonly string[]): Promise<RepoOrder> {
  const sorted = [...repos].sort();
  const decl = new Map(await Promise.all(sorted.map(async (r) => [r, await declared(r)] as const)));
  const byPackage = new Map<string, string>();
  const byModule = new Map<string, string>();
  for (const [r, d] of decl) {
    if (d.packageName) byPackage.set(d.packageName, r);
    if (d.goModule) byModule.set(d.goModule, r);
  }
  const inSet = new Set(sorted);
  const dependsOn: Record<string, string[]> = {};
  for (const [r, d] of decl) {
    const deps = new Set<string>();
    for (const n of d.packageDeps) if (byPackage.has(n)) deps.add(byPackage.get(n)!);
    for (const m of d.goRequires) if (byModule.has(m)) deps.add(byModule.get(m)!);
    for (const e of d.explicit) if (inSet.has(e)) deps.add(e);
    deps.delete(r);
    dependsOn[r] = [...deps].sort();
  }
  return { ...layer(sorted, dependsOn), dependsOn };
}

/**
 * Groups the graph's strongly connected components (Tarjan), then peels waves: first the
 * components no remaining repo depends on (dependents), then what they depended on, and so on.
 */
export function layer(nodes: readonly string[], dependsOn: Record<string, string[]>): { waves: string[][]; cycles: string[][] } {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of dependsOn[v] ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      components.push(comp.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) strong(n);
  const compOf = new Map<string, number>();
  components.forEach((c, i) => c.forEach((n) => compOf.set(n, i)));
  // per component, the components it depends on, and how many components depend on it: a component's wave
  // is the one after its last dependent's, worked out in one pass over the edges (at 5,000 repos in a
  // chain of 1,000 waves, peeling by looking at every component again for each wave took most of a second)
  const dependencies = components.map(() => new Set<number>());
  components.forEach((c, i) => {
    for (const n of c) for (const d of dependsOn[n] ?? []) if (compOf.get(d) !== i) dependencies[i].add(compOf.get(d)!);
  });
  const waiting = components.map(() => 0);
  for (const deps of dependencies) for (const d of deps) waiting[d]++;
  const waves: string[][] = [];
  let ready = components.map((_, i) => i).filter((i) => waiting[i] === 0);
  while (ready.length) {
    waves.push(ready.flatMap((i) => components[i]).sort());
    const next: number[] = [];
    for (const i of ready) for (const d of dependencies[i]) if (--waiting[d] === 0) next.push(d);
    ready = next;
  }
  return { waves, cycles: components.filter((c) => c.length > 1) };
}
