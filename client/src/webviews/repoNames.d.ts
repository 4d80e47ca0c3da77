/**
 * Short names for repos: the folder name, or the workspace-relative path when two repos share a
 * folder name (services/api and tools/api).
 */
export declare function repoNamer(repos: readonly string[]): (repo: string) => string;
