import * as path from 'path';
import { campaignIdFor, loadCampaign, startCampaignFromSnapshot } from '../engine/campaign/campaign';
import { EngineError } from '../engine/util/errors';
import { discoverRepos } from '../engine/repo/discovery';
import { SavedSnapshot, createSnapshot, listSnapshots, loadSnapshot, snapshotNames, verifySnapshot } from '../engine/snapshot/snapshot';
import * as fs from 'fs';
import { PushedSnapshot, exportSnapshot, importFromRemotes, importSnapshot, pushSnapshot, readExport } from '../engine/snapshot/travel';
import { Command, CliContext, UsageError, stringList } from './command';
import { branchName, displayPath, plural, shortId, table, when } from './format';

/** Repos named by --repo and found under --root; with neither, `fallback` (or the current folder). */
export async function chooseRepos(values: Record<string, unknown>, fallback?: readonly string[]): Promise<string[]> {
  const repos = stringList(values.repo).map((r) => path.resolve(r));
  const roots = stringList(values.root);
  if (repos.length === 0 && roots.length === 0 && fallback) return [...fallback];
  const found = roots.length || repos.length === 0 ? await discoverRepos(roots.length ? roots : [process.cwd()]) : [];
  return [...new Set([...repos, ...found.map((r) => r.path)])];
}

/** Said when the states were a snapshot already: which one, and that the new words were kept on it. */
export function reusedLine(snap: SavedSnapshot, message: string | undefined): string {
  const first = snapshotNames(snap)[0];
  const kept = message?.trim() ? `; the note "${message.trim()}" is kept on it (snapshot list shows it)` : '';
  return `nothing changed since ${snap.id}${first ? ` ("${first}")` : ''}, taken ${when(snap.createdAt)}: no new snapshot was needed${kept}`;
}

export const snapshotCommands: Command[] = [
  {
    name: 'snapshot create',
    summary: 'capture the exact state of every repo (HEAD, branch, index, worktree)',
    usage: 'codecontext snapshot create [--campaign <camp_id|name>] [--root DIR]... [--repo DIR]... [-m MSG] [--push [--remote NAME]]',
    examples: [
      'codecontext snapshot create --campaign camp_abc123 -m "before the codemod"',
      'codecontext snapshot create --root ~/src/services',
      'codecontext snapshot create --root ~/src/services --push',
    ],
    details: [
      '--campaign C   file the snapshot under campaign C; its repos are the default. A C the store does',
      '               not know (an id from your own campaign system) starts campaign C with this',
      '               snapshot as its baseline; then `campaign run C`, `campaign log C` and',
      '               `rollback --campaign C` all take the same C',
      '--root DIR     snapshot every repo at or below DIR (repeatable; default: the current folder)',
      '--repo DIR     snapshot this repo (repeatable)',
      '-m MSG         a note kept with the snapshot',
      "--push         also publish it to each repo's remote (see snapshot push), so a rollback can run",
      '               from fresh clones on another machine',
      '--remote NAME  with --push: that remote (default: the one the branch tracks, else origin)',
    ],
    options: {
      campaign: { type: 'string' },
      root: { type: 'string', multiple: true },
      repo: { type: 'string', multiple: true },
      message: { type: 'string', short: 'm' },
      push: { type: 'boolean' },
      remote: { type: 'string' },
    },
    positionals: [0, 0],
    async run({ values }, ctx) {
      const given = typeof values.campaign === 'string' ? values.campaign : undefined;
      const campaign =
        given === undefined
          ? undefined
          : await loadCampaign(ctx.store, given).catch((e: unknown) => {
              if (e instanceof EngineError && e.code === 'UnknownId') return undefined; // a campaign of the user's own system: started below
              throw e;
            });
      const newId = given !== undefined && !campaign ? campaignIdFor(given) : undefined;
      const repos = await chooseRepos(values, campaign?.repos);
      if (repos.length === 0) throw new EngineError('NoRepositories', `no git repositories under ${stringList(values.root).join(', ') || process.cwd()}`);
      const snap = await createSnapshot(ctx.store, repos, {
        campaign: campaign?.id ?? newId,
        message: (values.message as string | undefined) ?? (newId ? `baseline of ${given}` : undefined),
        parallelism: ctx.parallelism,
        progress: ctx.progress,
      });
      if (newId && given !== undefined) {
        const roots = stringList(values.root).length ? stringList(values.root) : [process.cwd()];
        const started = await startCampaignFromSnapshot(ctx.store, newId, given, snap, roots);
        return {
          text: `${snap.id}\nstarted campaign ${started.id === given ? given : `${started.id} (${given})`} with this snapshot as its baseline`,
          json: { ...snap, startedCampaign: started.id },
        };
      }
      // stdout stays the id (scripts read it); what happened to the note goes beside it
      if (snap.reused) process.stderr.write(`codecontext: ${reusedLine(snap, values.message as string | undefined)}\n`);
      if (values.remote !== undefined && !values.push) throw new UsageError('--remote goes with --push');
      if (values.push) {
        const pushed = await pushSnapshot(ctx.store, snap.id, { remote: values.remote as string | undefined, parallelism: ctx.parallelism });
        for (const line of pushedLines(pushed)) process.stderr.write(`codecontext: ${line}\n`);
        return { text: snap.id, json: { ...snap, pushed }, exitCode: pushed.every((p) => p.ok) ? 0 : 1 };
      }
      return { text: snap.id, json: snap };
    },
  },
  {
    name: 'snapshot list',
    summary: 'list snapshots, newest first',
    usage: 'codecontext snapshot list',
    examples: ['codecontext snapshot list', 'codecontext --json snapshot list'],
    options: {},
    positionals: [0, 0],
    async run(_args, ctx) {
      const all = await listSnapshots(ctx.store);
      if (all.length === 0) return { text: 'No snapshots yet. Create one with: codecontext snapshot create --root DIR', json: [] };
      const rows = [['ID', 'CREATED', 'REPOS', 'CAMPAIGN', 'MESSAGE']].concat(
        all.map((s) => [
          s.id,
          when(s.createdAt),
          String(s.repoCount),
          s.campaign ?? '-',
          s.valid ? snapshotNames(s).join(' · ') : 'MODIFIED: manifest no longer matches its id',
        ]),
      );
      return { text: table(rows), json: all };
    },
  },
  {
    name: 'snapshot show',
    summary: "show a snapshot's repos and their recorded states",
    usage: 'codecontext snapshot show <snap>',
    examples: ['codecontext snapshot show snap_1a2b3c4d'],
    options: {},
    positionals: [1, 1],
    async run({ positionals }, ctx) {
      const s = await loadSnapshot(ctx.store, positionals[0]);
      const notes = (s.notes ?? []).map((n) => `  also "${n.message}" (${when(n.at)}${n.campaign ? `, campaign ${n.campaign}` : ''})`);
      const head = [`${s.id}  ${when(s.createdAt)}${s.campaign ? '  campaign ' + s.campaign : ''}${s.message ? '  ' + s.message : ''}`, ...notes, ''];
      const rows = [['REPO', 'BRANCH', 'HEAD', 'INDEX', 'WORKTREE']].concat(
        s.repos.map((r) => [displayPath(r.path), branchName(r.ref), r.head ? shortId(r.head) : '(unborn)', shortId(r.index), shortId(r.worktree)]),
      );
      return { text: head.join('\n') + table(rows), json: s };
    },
  },
  {
    name: 'snapshot verify',
    summary: 'check that a snapshot is intact: manifest matches its id, every object is in every repo',
    usage: 'codecontext snapshot verify <snap>',
    examples: ['codecontext snapshot verify snap_1a2b3c4d'],
    options: {},
    positionals: [1, 1],
    async run({ positionals }, ctx) {
      const v = await verifySnapshot(ctx.store, positionals[0], ctx.parallelism);
      const lines = v.repos.flatMap((r) => (r.ok ? [] : r.problems.map((p) => `${displayPath(r.path)}: ${p}`)));
      const text = v.ok ? `${v.id}: OK (${plural(v.repos.length, 'repo')}, manifest and objects intact)` : `${v.id}: FAILED\n${lines.join('\n')}`;
      return { text, json: v, exitCode: v.ok ? 0 : 1 };
    },
  },
  {
    name: 'snapshot push',
    summary: "publish a snapshot to each repo's remote, so another machine can import it and roll back",
    usage: 'codecontext snapshot push <snap> [--remote NAME]',
    examples: ['codecontext snapshot push snap_1a2b3c4d', 'codecontext snapshot push snap_1a2b3c4d --remote backup'],
    details: [
      'Pushes refs/codecontext/snapshots/<id> (the states, pinned) and refs/codecontext/manifests/<id>',
      "(the manifest, with each repo's remote URLs) to each repo's remote, one atomic push per repo,",
      'with whatever credentials git is configured with; never prompts. On the other machine, in a',
      'folder of fresh clones: codecontext snapshot import --from-remote <id> --root DIR',
      '--remote NAME  that remote (default: the one the branch tracks, else origin)',
    ],
    options: { remote: { type: 'string' } },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      const pushed = await pushSnapshot(ctx.store, positionals[0], { remote: values.remote as string | undefined, parallelism: ctx.parallelism });
      return { text: pushedLines(pushed).join('\n'), json: pushed, exitCode: pushed.every((p) => p.ok) ? 0 : 1 };
    },
  },
  {
    name: 'snapshot export',
    summary: "write a snapshot (its manifest and its repos' remotes) as one file, for another store",
    usage: 'codecontext snapshot export <snap> [--out FILE]',
    examples: ['codecontext snapshot export snap_1a2b3c4d --out before-codemod.json'],
    details: [
      '--out FILE   write it there (default: standard output)',
      'The states themselves stay in the repos: push them too (snapshot push) for a fresh clone to have them.',
    ],
    options: { out: { type: 'string' } },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      const doc = await exportSnapshot(ctx.store, positionals[0]);
      const text = JSON.stringify(doc, null, 2);
      if (typeof values.out === 'string') {
        fs.writeFileSync(values.out, text + '\n');
        return {
          text: `${doc.manifest.id}: written to ${values.out} (${plural(doc.manifest.repos.length, 'repo')})`,
          json: { file: values.out, id: doc.manifest.id },
        };
      }
      return { text, json: doc };
    },
  },
  {
    name: 'snapshot import',
    summary: 'save an exported (or pushed) snapshot for the repos under a folder of this machine',
    usage: 'codecontext snapshot import (FILE | --from-remote <snap_id>) [--root DIR]',
    examples: [
      'codecontext snapshot import before-codemod.json --root ~/src/services',
      'codecontext snapshot import --from-remote snap_1a2b3c4d5e6f7a8b --root .',
    ],
    details: [
      'Each repo of the snapshot is matched to a repo under --root (default: the current folder) by',
      "its remote URL, else by its path below the snapshot's common folder; its objects are fetched",
      'from the remote its snapshot was pushed to when they are not here. The states are saved as a',
      "snapshot of this store (a new id: the paths are this machine's), noting where it came from;",
      'then `rollback --snapshot <new id>` works here. A modified manifest is refused.',
      '--from-remote ID   find the snapshot on the remotes of the repos under --root (snapshot push)',
    ],
    options: { root: { type: 'string' }, 'from-remote': { type: 'string' } },
    positionals: [0, 1],
    async run({ positionals, values }, ctx) {
      const root = (values.root as string | undefined) ?? process.cwd();
      const fromRemote = values['from-remote'] as string | undefined;
      if (!fromRemote === !positionals[0]) throw new UsageError('give an export file or --from-remote <snap_id>, one of them');
      const saved = fromRemote
        ? await importFromRemotes(ctx.store, fromRemote, root, { parallelism: ctx.parallelism })
        : await importFile(ctx, positionals[0], root);
      const how = saved.reused ? ' (these states were a snapshot here already)' : '';
      return { text: `${saved.id}\nimported ${saved.importedFrom} for ${plural(saved.repos.length, 'repo')} under ${path.resolve(root)}${how}`, json: saved };
    },
  },
];

function importFile(ctx: CliContext, file: string, root: string) {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new EngineError('IoFailed', `cannot read ${file}: ${(e as Error).message}`);
  }
  return importSnapshot(ctx.store, readExport(text, file), root, { parallelism: ctx.parallelism });
}

/** One line per repo: where it was pushed, or why not. */
function pushedLines(pushed: readonly PushedSnapshot[]): string[] {
  return pushed.map((p) => (p.ok ? `${displayPath(p.repo)}: pushed to ${p.remote} (${p.url})` : `${displayPath(p.repo)}: NOT pushed: ${p.problem}`));
}
