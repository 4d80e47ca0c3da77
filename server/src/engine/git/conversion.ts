import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RepoLayout } from './repoLayout';

/**
 * Whether git could convert a file's bytes between the disk and the object store: clean and
 * smudge filters, line-ending settings, attributes files. When it cannot (the usual case), the
 * blobs `git add` writes are the disk bytes, and a capture needs nothing more.
 */

/**
 * True when something in config, attributes or the environment could make git store other bytes
 * than the file holds (a clean filter, eol or autocrlf, an attributes file among `paths`). Read
 * conservatively: on any doubt, true.
 */
export function bytesMayConvert(layout: RepoLayout, paths: Iterable<string>): boolean {
  return !bytesPassUnchanged(layout, paths);
}

function bytesPassUnchanged(layout: RepoLayout, paths: Iterable<string>): boolean {
  for (const p of paths) if (p === '.gitattributes' || p.endsWith('/.gitattributes')) return false;
  // settings given through the environment are git's to read
  if (Object.keys(process.env).some((k) => k.startsWith('GIT_CONFIG') && k !== 'GIT_CONFIG_NOSYSTEM')) return false;
  const home = process.env.HOME ?? os.homedir();
  const xdg = process.env.XDG_CONFIG_HOME || path.join(home, '.config');
  const configs = [
    path.join(layout.commonDir, 'config'),
    path.join(layout.gitDir, 'config.worktree'),
    path.join(home, '.gitconfig'),
    path.join(xdg, 'git', 'config'),
  ];
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
