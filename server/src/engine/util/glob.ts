/**
 * Path globs for `--path`: `*` matches within one folder, `**` across folders, `?` one character;
 * a pattern without a slash matches a base name anywhere (like .gitignore); a folder name matches
 * everything below it.
 */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => true;
  const regexes = patterns.map(toRegex);
  return (p) => regexes.some((r) => r.test(p));
}

function toRegex(pattern: string): RegExp {
  const anchored = pattern.includes('/');
  const glob = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${anchored ? '^' : '(^|/)'}${re}(/.*)?$`);
}
