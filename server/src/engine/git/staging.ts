import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readLooseObject } from './looseObjects';
import { RepoLayout } from './repoLayout';

/**
 * Writing blobs into the stage folder as `git checkout-index` would, without the process, in the
 * one case where that is plainly the same: nothing could convert the bytes on the way out (no
 * line-ending setting, no filter, no attributes file anywhere git would look, symlinks on) and
 * every blob is stored loose. In any other case, or on any doubt, the caller asks git.
 */

export interface StageFile {
  /** Path in the repo, as text. */
  path: string;
  mode: string;
  blob: string;
}

/**
 * Writes each file into `stageDir` under a name of its own (its number: one flat folder, so no
 * folders to make here or to walk when the stage is emptied) and returns where each path went;
 * returns undefined, having written nothing that matters, when git must do it. `paths` are every
 * path of the worktree before and after (an attributes file among them sends the work to git).
 */
export function stageWithoutGit(layout: RepoLayout, stageDir: string, files: readonly StageFile[], paths: Iterable<string>): Map<string, string> | undefined {
  if (!bytesPassUnchanged(layout, paths)) return undefined;
  const objects = path.join(layout.commonDir, 'objects');
  const contents = files.map((f) => readLooseObject(objects, f.blob));
  if (contents.some((c) => c?.type !== 'blob')) return undefined;
  fs.mkdirSync(stageDir, { recursive: true });
  const staged = new Map<string, string>();
  files.forEach((f, i) => {
    const target = path.join(stageDir, String(i));
    const content = contents[i]!.content;
    // created exclusively, so the mode below is the one it gets; a killed restore's file of the
    // same name is removed first
    const write = () =>
      f.mode === '120000'
        ? fs.symlinkSync(content.toString('utf8'), target)
        : // the modes git creates files with, the umask applied the same way
          fs.writeFileSync(target, content, { mode: f.mode === '100755' ? 0o777 : 0o666, flag: 'wx' });
    try {
      write();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      fs.rmSync(target, { recursive: true, force: true });
      write();
    }
    staged.set(f.path, target);
  });
  return staged;
}

/** Nothing in config, attributes or the environment that could make a checkout alter bytes. */
function bytesPassUnchanged(layout: RepoLayout, paths: Iterable<string>): boolean {
  for (const p of paths) if (p === '.gitattributes' || p.endsWith('/.gitattributes')) return false;
  // settings given through the environment are git's to read
  if (Object.keys(process.env).some((k) => k.startsWith('GIT_CONFIG') && k !== 'GIT_CONFIG_NOSYSTEM')) return false;
  const home = process.env.HOME ?? os.homedir();
  const xdg = process.env.XDG_CONFIG_HOME || path.join(home, '.config');
  const configs = [path.join(layout.commonDir, 'config'), path.join(layout.gitDir, 'config.worktree'), path.join(home, '.gitconfig'), path.join(xdg, 'git', 'config')];
  if (!process.env.GIT_CONFIG_NOSYSTEM) configs.push('/etc/gitconfig');
  const attributes = [path.join(layout.commonDir, 'info', 'attributes'), path.join(xdg, 'git', 'attributes'), '/etc/gitattributes'];
  if (attributes.some((f) => fs.existsSync(f))) return false;
  return configs.every((f) => !fs.existsSync(f) || configIsPlain(fs.readFileSync(f, 'utf8')));
}

/**
 * True when a config file sets nothing that bears on checked-out bytes. Read conservatively: an
 * include, a filter, line-ending or attribute settings, symlinks off, or a line it cannot read
 * in the core section all count as "not plain".
 */
export function configIsPlain(text: string): boolean {
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const header = /^\[\s*([A-Za-z0-9.-]+)(\s+"[^"]*")?\s*\]$/.exec(line);
    if (header) {
      section = header[1].toLowerCase();
      if (section === 'filter' || section === 'include' || section === 'includeif') return false;
      continue;
    }
    if (line.startsWith('[')) return false; // a header we do not read, or one with a key on its line
    if (section !== 'core') continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!kv) return false;
    const key = kv[1].toLowerCase();
    const value = (kv[2] ?? 'true').trim().toLowerCase();
    if (key === 'autocrlf' && !['false', 'no', 'off', '0'].includes(value)) return false;
    if (key === 'symlinks' && !['true', 'yes', 'on', '1'].includes(value)) return false;
    if (key === 'eol' || key === 'attributesfile' || key === 'checkroundtripencoding') return false;
  }
  return true;
}
