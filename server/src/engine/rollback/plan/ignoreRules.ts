import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { asEngineError } from '../../util/errors';
import { encodePath, fsPath } from '../../util/pathBytes';
import { gitRaw, splitZ } from '../../git/gitRunner';
import { readObjects } from '../../git/objectReader';
import { listTree } from '../../git/trees';
import { repoLayout } from '../../git/repoLayout';

/**
 * Which of `paths` a tree's own ignore rules ignore: its `.gitignore` files, with the repo's
 * `info/exclude` and `core.excludesFile`. A rollback that puts an older `.gitignore` back must
 * not delete the files that `.gitignore` ignored (a `.env` a campaign un-ignored): at the target
 * they were ignored files, and ignored files are never touched.
 *
 * Git answers the question (`check-ignore --no-index`) against a scratch work tree holding only
 * the tree's `.gitignore` files at their paths, so the rules are git's exactly.
 */
export async function ignoredUnder(repo: string, tree: string, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const rules = (await listTree(repo, tree)).filter((e) => e.type === 'blob' && path.posix.basename(e.path) === '.gitignore');
  const scratch = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'codecontext-ignore-'));
  try {
    const blobs = await readObjects(
      repo,
      rules.map((r) => r.id),
    );
    for (const r of rules) {
      const file = fsPath(scratch, r.path);
      const dir = r.path.includes('/') ? fsPath(scratch, r.path.slice(0, r.path.lastIndexOf('/'))) : scratch;
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.writeFile(file, blobs.get(r.id)?.content ?? Buffer.alloc(0));
    }
    const layout = await repoLayout(repo);
    // run from the scratch work tree, so the paths are read relative to it
    const { stdout } = await gitRaw(scratch, [`--git-dir=${layout.gitDir}`, `--work-tree=${scratch}`, 'check-ignore', '--no-index', '-z', '--stdin'], {
      input: Buffer.concat(paths.map((p) => Buffer.concat([encodePath(p), Buffer.from([0])]))),
      okCodes: [1],
      readOnly: true,
    });
    return new Set(splitZ(stdout));
  } catch (e) {
    throw asEngineError(e, repo);
  } finally {
    await fs.promises.rm(scratch, { recursive: true, force: true });
  }
}
