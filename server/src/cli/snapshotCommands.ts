import * as path from 'path';
import { campaignIdFor, loadCampaign, startCampaignFromSnapshot } from '../engine/campaign/campaign';
import { EngineError } from '../engine/util/errors';
import { discoverRepos } from '../engine/repo/discovery';
import { SavedSnapshot, createSnapshot, listSnapshots, loadSnapshot, snapshotNames, verifySnapshot } from '../engine/snapshot/snapshot';
import { Command, stringList } from './command';
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
    usage: 'codecontext snapshot create [--campaign <camp_id|name>] [--root DIR]... [--repo DIR]... [-m MSG]',
    examples: ['codecontext snapshot create --campaign camp_abc123 -m "before the codemod"', 'codecontext snapshot create --root ~/src/services'],
    details: [
      '--campaign C   file the snapshot under campaign C; its repos are the default. A C the store does',
      '               not know (an id from your own campaign system) starts campaign C with this',
      '               snapshot as its baseline; then `campaign run C`, `campaign log C` and',
      '               `rollback --campaign C` all take the same C',
      '--root DIR     snapshot every repo at or below DIR (repeatable; default: the current folder)',
      '--repo DIR     snapshot this repo (repeatable)',
      '-m MSG         a note kept with the snapshot',
    ],
    options: {
      campaign: { type: 'string' },
      root: { type: 'string', multiple: true },
      repo: { type: 'string', multiple: true },
      message: { type: 'string', short: 'm' },
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
];
