import * as path from 'path';
import {
  Campaign,
  CampaignStep,
  activeCampaignsOn,
  overlapWarning,
  listCampaignFiles,
  loadCampaign,
  checkpointCampaign,
  checkpointIfChanged,
  startCampaign,
} from '../engine/campaign/campaign';
import { campaignDiff, repoLabel } from '../engine/campaign/campaignDiff';
import { finishInterruptedRun, lastFailedRepos, runInCampaign } from '../engine/campaign/campaignRun';
import { ReviewComment, addReviewComment, listReviewComments } from '../engine/campaign/reviewComments';
import { ReadLimit, readBounded, readStreamBounded } from '../engine/store/boundedRead';
import { EngineError } from '../engine/util/errors';
import { rollbackEnds } from '../engine/rollback/records';
import { Command, UsageError, stringList } from './command';
import { countsLine, plural, table, when } from './format';

function stepLine(campaign: Campaign, s: CampaignStep, comments: readonly ReviewComment[] = []): string {
  const what = s.command ? `$ ${s.command.join(' ')}` : (s.message ?? '');
  const failed = s.results?.filter((r) => r.exitCode !== 0).length ?? 0;
  const lines = [
    `step ${s.n}  ${when(s.at)}  ${s.snapshot}  ${what}${s.source ? `  (${s.source})` : ''}`,
    `    ${plural(s.reposChanged, 'repo')} changed: ${countsLine(s.counts)}`,
  ];
  if (failed)
    lines.push(
      `    ${plural(failed, 'repo')} failed: ${s
        .results!.filter((r) => r.exitCode !== 0)
        .map((r) => `${repoLabel(campaign, r.repo)} (exit ${r.exitCode})`)
        .join(', ')}`,
    );
  for (const u of s.unreachable ?? []) lines.push(`    ${repoLabel(campaign, u.repo)}: not recorded: ${u.reason}`);
  for (const x of s.slow ?? []) lines.push(`    ${repoLabel(campaign, x.repo)}: captured in ${(x.ms / 1000).toFixed(1)} s, over the per-repo time budget`);
  for (const f of s.leftOut ?? [])
    lines.push(`    ${repoLabel(campaign, f.repo)}/${f.path}: left out, ${(f.size / 1048576).toFixed(1)} MB is over the size cap (a rollback leaves it)`);
  for (const rc of s.refChanges) {
    lines.push(
      `    ${repoLabel(campaign, rc.repo)}: HEAD ${rc.headBefore?.slice(0, 10) ?? '(unborn)'} → ` +
        `${rc.headAfter?.slice(0, 10) ?? '(unborn)'}${rc.refBefore !== rc.refAfter ? ` (${rc.refBefore ?? 'detached'} → ${rc.refAfter ?? 'detached'})` : ''}`,
    );
  }
  const mine = comments.filter((c) => c.step === s.n);
  if (mine.length) lines.push(`    ${plural(mine.length, 'review comment')}:`);
  for (const c of mine) {
    const where = `${repoLabel(campaign, c.repo)}/${c.path}${c.line !== undefined ? `:${c.line}` : ''}`;
    const [first, ...more] = c.body.split('\n');
    lines.push(`      ${where}  ${c.author}, ${when(c.at)}: ${first}`, ...more.map((l) => `        ${l}`));
  }
  return lines.join('\n');
}

function parseStep(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--step takes a step number (1, 2, …), not ${String(v)}`);
  return n;
}

export const campaignCommands: Command[] = [
  {
    name: 'campaign start',
    summary: 'start a campaign: find the repos and take the baseline snapshot',
    usage: 'codecontext campaign start <name> [--root DIR]...',
    examples: ['codecontext campaign start "rename-logger" --root ~/src/services'],
    details: ['--root DIR   repos at or below DIR belong to the campaign (repeatable; default: the current folder)'],
    options: { root: { type: 'string', multiple: true } },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      const roots = stringList(values.root);
      const c = await startCampaign(ctx, positionals[0], roots.length ? roots : [process.cwd()]);
      const alsoActive = await activeCampaignsOn(ctx.store, c.repos, c.id);
      // on stderr: scripts read the id from stdout
      for (const line of overlapWarning(alsoActive, c.repos.length)) process.stderr.write(`codecontext: warning: ${line}\n`);
      return { text: c.id, json: alsoActive.length ? { ...c, alsoActive } : c };
    },
  },
  {
    name: 'campaign checkpoint',
    summary: 'snapshot the campaign repos and record what changed since the last checkpoint as a step',
    usage: 'codecontext campaign checkpoint <camp> [-m MSG] [--if-changed] [--source NAME]',
    examples: [
      'codecontext campaign checkpoint camp_abc123 -m "after manual fixes"',
      'codecontext campaign checkpoint agent --if-changed --source claude-hook --json',
    ],
    details: [
      '--if-changed    no step when every repo is as the last checkpoint (or a rollback since) left it:',
      '                prints "no change" (--json: {"step": null}); for hooks that checkpoint after every tool use',
      '--source NAME   who asked (a tool, a hook), kept on the step and shown by campaign log',
    ],
    options: { message: { type: 'string', short: 'm' }, 'if-changed': { type: 'boolean' }, source: { type: 'string' } },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      // a run killed before it could record its step is recorded first, as the step it was
      const interrupted = await finishInterruptedRun(ctx, positionals[0]);
      const options = { message: values.message as string | undefined, ...(typeof values.source === 'string' ? { source: values.source } : {}) };
      if (values['if-changed']) {
        const made = await checkpointIfChanged(ctx, positionals[0], {
          ...options,
          ours: await rollbackEnds(ctx.store, await loadCampaign(ctx.store, positionals[0])),
        });
        if (!made)
          return { text: 'no change: no step', json: { campaign: (await loadCampaign(ctx.store, positionals[0])).id, step: null, changes: [], interrupted } };
        const lines = [...(interrupted ? [`recorded an interrupted campaign run as step ${interrupted.n}`] : []), stepLine(made.campaign, made.step)];
        return { text: lines.join('\n'), json: { campaign: made.campaign.id, step: made.step, changes: made.changes, interrupted } };
      }
      const { campaign, step, changes } = await checkpointCampaign(ctx, positionals[0], options);
      const lines = [...(interrupted ? [`recorded an interrupted campaign run as step ${interrupted.n}`] : []), stepLine(campaign, step)];
      return { text: lines.join('\n'), json: { campaign: campaign.id, step, changes, interrupted } };
    },
  },
  {
    name: 'campaign run',
    summary: 'run a command in every repo of the campaign, then checkpoint',
    usage: 'codecontext campaign run <camp> [-m MSG] [--only-failed | --repos-from FILE|-] -- <command> [args...]',
    examples: [
      "codecontext campaign run camp_abc123 -- sed -i 's/oldLogger/newLogger/g' src/log.ts",
      'codecontext campaign run rename-logger --json -- npm pkg set version=2.0.0 > run.json',
      'codecontext campaign run rename-logger --only-failed -- npm pkg set version=2.0.0',
      'codecontext campaign run rename-logger --repos-from run.json -- npm pkg set version=2.0.0',
    ],
    details: [
      'The command runs without a shell, in each repo folder, a few repos at a time; $CODECONTEXT_REPO names the repo.',
      'Exit status 1 when the command failed in any repo (the step is still recorded).',
      '--json          per repo: exit code, duration, the last lines of its output, the files it changed',
      "--only-failed   run again only in the repos whose command failed in the campaign's last run step",
      '--repos-from F  run only in the repos F names: one path per line, or the JSON `campaign run --json`',
      '                printed (its failed repos); - reads standard input. Either way a new step is recorded',
    ],
    options: { message: { type: 'string', short: 'm' }, 'only-failed': { type: 'boolean' }, 'repos-from': { type: 'string' } },
    positionals: [1, 1],
    async run({ positionals, values, rest }, ctx) {
      if (rest.length === 0) throw new UsageError('campaign run needs a command after --');
      if (values['only-failed'] && values['repos-from'] !== undefined)
        throw new UsageError('--only-failed and --repos-from choose the repos two ways; give one');
      let repos: string[] | undefined;
      if (values['only-failed']) {
        repos = lastFailedRepos(await loadCampaign(ctx.store, positionals[0]));
        if (repos.length === 0)
          return { text: 'Nothing to run again: the command succeeded in every repo of the last run step.', json: { campaign: positionals[0], repos: [] } };
      } else if (typeof values['repos-from'] === 'string') {
        repos = reposFrom(await readReposFrom(values['repos-from']));
      }
      const { campaign, step, changes, failed, results } = await runInCampaign(ctx, positionals[0], rest, {
        message: values.message as string | undefined,
        repos,
      });
      const lines = [stepLine(campaign, step)];
      for (const f of failed) {
        lines.push(
          `FAILED ${repoLabel(campaign, f.repo)}: exit ${f.exitCode}${f.outputTail.trim() ? ': ' + f.outputTail.trim().split('\n').slice(-1)[0] : ''}`,
        );
      }
      if (failed.length) lines.push(`run again where it failed: codecontext campaign run ${campaign.id} --only-failed -- ${rest.join(' ')}`);
      const perRepo = results.map((r) => ({
        repo: r.repo,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        outputTail: r.outputTail.split('\n').slice(-20).join('\n'),
        files: changes.filter((c) => c.repo === r.repo).map((c) => c.path),
      }));
      return { text: lines.join('\n'), json: { campaign: campaign.id, step, repos: perRepo, failed, changes }, exitCode: failed.length ? 1 : 0 };
    },
  },
  {
    name: 'campaign list',
    summary: 'list campaigns, newest first',
    usage: 'codecontext campaign list',
    examples: ['codecontext campaign list'],
    options: {},
    positionals: [0, 0],
    async run(_args, ctx) {
      const { campaigns: all, invalid } = await listCampaignFiles(ctx.store);
      if (all.length === 0 && invalid.length === 0) return { text: 'No campaigns yet. Start one with: codecontext campaign start <name> --root DIR', json: [] };
      // a campaign file that cannot be read is listed as invalid, never left out
      const rows = [['ID', 'NAME', 'STARTED', 'REPOS', 'STEPS', 'STATUS']].concat(
        all.map((c) => [c.id, c.name, when(c.createdAt), String(c.repos.length), String(c.steps.length), c.status]),
        invalid.map((i) => [i.id, '?', '?', '?', '?', 'INVALID']),
      );
      const why = invalid.map((i) => `${i.id}: invalid: ${i.reason} (${i.file})`);
      return {
        text: [table(rows), ...why].join('\n'),
        json: [...all.map(({ repos, ...c }) => ({ ...c, repoCount: repos.length })), ...invalid.map((i) => ({ id: i.id, invalid: i.reason, file: i.file }))],
      };
    },
  },
  {
    name: 'campaign log',
    summary: "a campaign's steps with per-step counts of changed files and lines, and their review comments",
    usage: 'codecontext campaign log <camp>',
    examples: ['codecontext campaign log camp_abc123'],
    options: {},
    positionals: [1, 1],
    async run({ positionals }, ctx) {
      const c = await loadCampaign(ctx.store, positionals[0]);
      const comments = await listReviewComments(ctx.store, c);
      const head = `${c.id}  ${c.name}  ${plural(c.repos.length, 'repo')}  baseline ${c.baseline}  ${c.status}`;
      const none = '(no steps yet: run `codecontext campaign run` or `campaign checkpoint`)';
      const steps = c.steps.length ? c.steps.map((s) => stepLine(c, s, comments)).join('\n') : none;
      return { text: `${head}\n${steps}`, json: { ...c, comments } };
    },
  },
  {
    name: 'campaign comment',
    summary: 'leave a review comment on a file (or a line) a step changed; `campaign log` shows it',
    usage: 'codecontext campaign comment <camp> --step N --repo DIR --path FILE [--line L] -m TEXT',
    examples: ['codecontext campaign comment rename-logger --step 1 --repo ~/src/services/accepts --path index.js --line 12 -m "keep the old name exported"'],
    details: ['--line L   a line of the file after the step (default: a note on the whole file)'],
    options: {
      step: { type: 'string' },
      repo: { type: 'string' },
      path: { type: 'string' },
      line: { type: 'string' },
      message: { type: 'string', short: 'm' },
    },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      const step = parseStep(values.step);
      if (step === undefined) throw new UsageError('campaign comment needs --step N');
      if (typeof values.repo !== 'string' || typeof values.path !== 'string') throw new UsageError('campaign comment needs --repo DIR and --path FILE');
      if (typeof values.message !== 'string') throw new UsageError('campaign comment needs the text: -m TEXT');
      // digits only: Number() would take 1e3, 0x10 and 1.0; the engine then checks the file has the line
      if (values.line !== undefined && !/^[1-9][0-9]*$/.test(String(values.line)))
        throw new UsageError(`--line takes a line number (1, 2, …), not ${String(values.line)}`);
      const line = values.line === undefined ? undefined : Number(values.line);
      if (line !== undefined && !Number.isSafeInteger(line)) throw new UsageError(`--line ${String(values.line)} is past the end of any file`);
      const c = await addReviewComment(ctx.store, positionals[0], { step, repo: path.resolve(values.repo), path: values.path, line, body: values.message });
      return { text: c.id, json: c };
    },
  },
  {
    name: 'campaign diff',
    summary: 'unified diff of one step, or of the whole campaign so far',
    usage: 'codecontext campaign diff <camp> [--step N]',
    examples: ['codecontext campaign diff camp_abc123 --step 1', 'codecontext campaign diff rename-logger > campaign.patch'],
    options: { step: { type: 'string' } },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      const step = parseStep(values.step); // a usage mistake is reported before any lookup
      const c = await loadCampaign(ctx.store, positionals[0]);
      const diff = await campaignDiff(ctx.store, c, step, ctx.parallelism);
      return { text: diff.replace(/\n$/, ''), json: { campaign: c.id, step: values.step === undefined ? null : Number(values.step), diff } };
    },
  },
];

/** A list of repos is paths, one a line: 16 MB is some 100,000 of them, and past it is no list. */
const maxReposFrom = 16 * 1024 * 1024;

/** The text of a `--repos-from` list (a file, or standard input for -), bounded; every failure names the option and the path. */
async function readReposFrom(given: string): Promise<string> {
  const what = `--repos-from ${given === '-' ? '- (standard input)' : given}`;
  const limit: ReadLimit = { limit: maxReposFrom, what, code: 'Usage' };
  try {
    return (given === '-' ? await readStreamBounded(process.stdin, limit) : await readBounded(given, limit)).toString('utf8');
  } catch (e) {
    if (e instanceof EngineError) throw new UsageError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EISDIR'
        ? 'a folder, not a list; give a file of repo paths (one a line) or - for standard input'
        : code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : (e as Error).message;
    throw new UsageError(`${what}: ${why}`);
  }
}

/**
 * The repos a `--repos-from` file names: the JSON `campaign run --json` printed (its repos whose
 * command failed), or one path per line (blank lines and # comments skipped).
 */
export function reposFrom(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let run: { repos?: { repo?: unknown; exitCode?: unknown }[]; failed?: { repo?: unknown }[] };
    try {
      run = JSON.parse(trimmed) as typeof run;
    } catch {
      throw new UsageError('--repos-from: the file starts like JSON but is not valid JSON');
    }
    const failed = run.repos ? run.repos.filter((r) => r.exitCode !== 0) : (run.failed ?? []);
    return failed.map((r) => r.repo).filter((r): r is string => typeof r === 'string');
  }
  return trimmed
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
