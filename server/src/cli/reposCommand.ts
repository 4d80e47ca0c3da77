import { discoverRepos } from '../engine/repo/discovery';
import { Command, stringList } from './command';
import { displayPath, table } from './format';

export const reposCommand: Command = {
  name: 'repos',
  summary: 'list the git repos at or below the roots (nested repos and submodules marked)',
  usage: 'codecontext repos [--root DIR]...',
  examples: ['codecontext repos --root ~/src'],
  options: { root: { type: 'string', multiple: true } },
  positionals: [0, 0],
  async run({ values }) {
    const roots = stringList(values.root);
    const repos = await discoverRepos(roots.length ? roots : [process.cwd()]);
    if (repos.length === 0) return { text: 'No git repositories found.', json: [] };
    const rows = [['REPO', 'KIND', 'PARENT']].concat(repos.map((r) => [displayPath(r.path), r.kind, r.parent ? displayPath(r.parent) : '']));
    return { text: table(rows), json: repos };
  },
};
