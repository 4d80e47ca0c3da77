import * as path from 'path';
import { RepoKit, TestRepo, git } from './repoKit';

/**
 * Repos with remotes, as a campaign that pushes finds them: `count` repos (repo-00…) under a
 * workspace folder, each with its own bare remote `origin` over `file://` in a folder outside the
 * workspace (discovery never sees it), `main` pushed and tracked, as after a clone.
 */
export function pushedWorkspace(
  kit: RepoKit,
  count: number,
  files: Record<string, string> = { 'a.txt': 'v1\n' },
): { root: string; store: string; repos: TestRepo[]; remotes: string[] } {
  const { root, repos, store } = kit.workspace(count, files);
  const remotesDir = kit.tempDir('cc-remotes-');
  const remotes = repos.map((r) => {
    const bare = path.join(remotesDir, `${path.basename(r.dir)}.git`);
    git(remotesDir, 'init', '-q', '--bare', '-b', 'main', bare);
    r.git('remote', 'add', 'origin', `file://${bare}`);
    r.git('push', '-q', '-u', 'origin', 'main');
    return bare;
  });
  return { root, store, repos, remotes };
}

/** What a campaign step runs in each repo to commit `a.txt` as `content` and push main: the issue's own scenario. */
export function commitAndPush(content = 'v2'): string[] {
  return ['sh', '-c', `echo ${content} > a.txt && git commit -qam bump && git push -q origin main`];
}
