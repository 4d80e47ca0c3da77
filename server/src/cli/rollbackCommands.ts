import * as path from 'path';
import { releaseCaptures } from '../engine/rollback/plan/keptCaptures';
import { EngineError } from '../engine/util/errors';
import { chainedRollbacks, inversePatchText, locateEvidence, readEvidence, verifyEvidence, verifyEvidenceChain } from '../engine/rollback/evidence/pack';
import { commandLine, commentsOf } from '../engine/rollback/evidence/report';
import { RollbackPlan, RollbackRequest, planRollback } from '../engine/rollback/plan/plan';
import { driftLabel } from '../engine/rollback/plan/changes';
import { heldOnRemotes, remoteWords } from '../engine/rollback/plan/remotes';
import { pushWords } from '../engine/rollback/plan/remotePlan';
import { recoverAll, releaseStrandedLocks } from '../engine/rollback/tx/recover';
import { showPath } from '../engine/util/pathBytes';
import { checkWords } from '../engine/rollback/tx/checks';
import { checksForRollback, checksToShow, reportSkipped } from './repoCheckConsent';
import { finishInterruptedRuns } from '../engine/campaign/campaignRun';
import { RollbackRecord, listRollbackFiles, loadRollback, rollbackEndStates } from '../engine/rollback/records';
import { executeRollback } from '../engine/rollback/tx/transaction';
import { planUndo, undoRollback } from '../engine/rollback/tx/undo';
import { CliContext, Command, CommandOutput, UsageError, stringList } from './command';
import { branchName, displayPath, plural, shortId, table, when } from './format';

/** Ctrl-C cancels until the commit phase begins; after that the transaction finishes or compensates. */
function interruptToken(): { cancel: { cancelled: boolean }; dispose: () => void } {
  const cancel = { cancelled: false };
  const onSigint = () => {
    if (cancel.cancelled) return;
    cancel.cancelled = true;
    process.stderr.write('\ncodecontext: cancelling (a commit already under way finishes or compensates first)…\n');
  };
  process.on('SIGINT', onSigint);
  return { cancel, dispose: () => process.off('SIGINT', onSigint) };
}

function planText(plan: RollbackPlan, checks: ReadonlyMap<string, string>): string {
  const t = plan.totals;
  const lines = [
    `Rollback plan ${plan.hash.slice(0, 12)} (${plan.mode}) → ${plan.target.label} (${plan.target.snapshot})`,
    `${plural(t.repos, 'repo')} (${t.reposChanged} to change) in ${plural(plan.waves.length, 'wave')}; ${plural(t.files, 'file')}, +${t.added} ` +
      `-${t.removed}; drift: ${t.drift}; conflicts: ${t.conflicts}`,
  ];
  const onRemotes = leftOnRemotes(plan);
  if (onRemotes)
    lines.push(
      `on remotes: the campaign reached the remotes of ${plural(onRemotes, 'repo')}; a local rollback does not change them (--remote rolls them back too)`,
    );
  if (t.pushes) {
    const remotes = plan.repos.reduce((n, r) => n + (r.pushes?.filter((p) => p.updates.length).length ?? 0), 0);
    lines.push(`remote rollback: ${plural(t.pushes, 'ref update')} on ${plural(remotes, 'remote')}, each leased on what the remote holds now`);
  }
  if (plan.cycles.length) lines.push(`dependency cycles (each rolled back as one wave): ${plan.cycles.map((c) => c.map(displayPath).join(' ↔ ')).join('; ')}`);
  plan.waves.forEach((wave, i) => {
    lines.push('', `wave ${i + 1}`);
    for (const repoPath of wave) {
      const r = plan.repos.find((x) => x.path === repoPath)!;
      const head = r.headChanged
        ? `  HEAD ${branchName(r.current.ref)} ${shortId(r.current.head, 7)} → ${branchName(r.goal.ref)} ${shortId(r.goal.head, 7)}`
        : '';
      const idx = r.indexChanged ? '  index restored' : '';
      const nothing = r.changed ? '' : '  (already at target)';
      lines.push(`  ${displayPath(r.path)}${head}${idx}${nothing}`);
      const command = checks.get(r.path);
      if (command && !nothing) lines.push(`    check after it commits: ${command}`);
      const rows = r.files.map((f) => [
        `    ${f.change}`,
        showPath(f.path),
        f.change === 'mode' ? `${f.fromMode} → ${f.mode}` : f.binary ? 'binary' : `+${f.added} -${f.removed}`,
      ]);
      if (rows.length) lines.push(table(rows));
      for (const d of r.drift) lines.push(`    DRIFT ${d.kind === 'file' ? showPath(d.path) + (d.by ? ` (changed by campaign ${d.by})` : '') : driftLabel(d)}`);
      for (const p of r.unsaved ?? []) lines.push(`    YOUR EDIT ${showPath(p)} (changed since the newest snapshot; the safety snapshot keeps it)`);
      for (const c of r.conflicts)
        lines.push(`    CONFLICT ${c.path === undefined ? '' : showPath(c.path)}: ${c.reason}${c.hunk ? '\n' + c.hunk.replace(/^/gm, '      ') : ''}`);
      for (const n of r.notes) lines.push(`    note: ${n}`);
      if (r.pushes?.length) for (const p of r.pushes) for (const w of pushWords(p)) lines.push(`    PUSH ${w}`);
      else for (const w of remoteWords(r.remotes)) lines.push(`    REMOTE ${w}`);
    }
  });
  return lines.join('\n');
}

/** How many repos hold campaign work on a remote that this rollback leaves there. */
function leftOnRemotes(plan: RollbackPlan): number {
  return plan.repos.filter((r) => heldOnRemotes(r.remotes) && !r.pushes?.some((p) => p.updates.length)).length;
}

function requestFrom(values: Record<string, unknown>): RollbackRequest {
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && (!Number.isInteger(step) || step < 1)) throw new UsageError(`--step takes a step number (1, 2, …), not ${String(values.step)}`);
  const onlyStep = values['only-step'] === undefined ? undefined : Number(values['only-step']);
  if (onlyStep !== undefined && (!Number.isInteger(onlyStep) || onlyStep < 1))
    throw new UsageError(`--only-step takes a step number (1, 2, …), not ${String(values['only-step'])}`);
  if (onlyStep !== undefined && !values.campaign) throw new UsageError('--only-step goes with --campaign');
  const mode = (values.mode as string | undefined) ?? (onlyStep !== undefined ? 'replay' : 'restore');
  if (mode !== 'restore' && mode !== 'replay') throw new UsageError(`--mode is restore or replay, not ${mode}`);
  if (!values.snapshot && !values.campaign) throw new UsageError('give a target: --snapshot <snap> or --campaign <camp> [--step N]');
  if (values.snapshot && values.campaign) throw new UsageError('give one target: --snapshot or --campaign, not both');
  if (values.rewrite && !values.remote) throw new UsageError('--rewrite goes with --remote: it says how the remote branches go back');
  return {
    snapshot: values.snapshot as string | undefined,
    campaign: values.campaign as string | undefined,
    step,
    ...(onlyStep !== undefined ? { onlyStep } : {}),
    mode,
    repos: stringList(values.repo),
    paths: stringList(values.path),
    fetch: !!values.fetch,
    ...(values.remote ? { remote: true as const } : {}),
    ...(values.rewrite ? { rewrite: true } : {}),
  };
}

/** Per repo, what of the campaign its remotes still hold (remoteWords), as `repo: line`; a repo whose remotes this rollback pushes to, what it pushes. */
function remoteLines(plan: RollbackPlan): string[] {
  return plan.repos.flatMap((r) =>
    (r.pushes?.length ? r.pushes.flatMap(pushWords).map((w) => `pushed: ${w}`) : remoteWords(r.remotes)).map((w) => `${displayPath(r.path)}: ${w}`),
  );
}

/** --root DIR limits the plan to the target's repos at or below DIR. */
function limitToRoots(plan: RollbackRequest, roots: string[], all: string[]): RollbackRequest {
  if (roots.length === 0) return plan;
  const abs = roots.map((r) => path.resolve(r));
  const inside = all.filter((p) => abs.some((r) => p === r || p.startsWith(r + path.sep)));
  return { ...plan, repos: plan.repos?.length ? plan.repos.filter((p) => inside.includes(path.resolve(p))) : inside };
}

/** `codecontext rollback` once its plan is made: the dry run's text, or the run and what it says. */
async function rollbackWith(
  ctx: CliContext,
  values: Record<string, unknown>,
  plan: RollbackPlan,
  check: string | undefined,
  timeout: number | undefined,
): Promise<CommandOutput> {
  if (values['dry-run']) {
    // the text the evidence pack's inverse.patch will hold
    const diffs = values.diff ? inversePatchText(plan.repos) : '';
    const text = [planText(plan, await checksToShow(ctx, plan, check)), ...(diffs ? ['', diffs.replace(/\n$/, '')] : [])].join('\n');
    return { text, json: plan, exitCode: plan.totals.conflicts ? 1 : 0 };
  }
  // decided (and consent asked) before anything is locked or journaled
  const checks = await checksForRollback(ctx, plan, { check, trust: !!values['trust-repo-checks'], skip: !!values['skip-repo-checks'] });
  reportSkipped(checks.skipped, '--skip-repo-checks');
  // said before it runs, as the extension's confirmation says it; the lines themselves follow the result
  const remotes = remoteLines(plan);
  const onRemotes = leftOnRemotes(plan);
  if (onRemotes)
    process.stderr.write(
      `codecontext: the campaign reached the remotes of ${plural(onRemotes, 'repo')}; this rollback is local and does not change them ` +
        '(--remote rolls them back too)\n',
    );
  const interrupt = interruptToken();
  try {
    const record = await executeRollback(ctx, plan, {
      force: !!values.force,
      cancel: interrupt.cancel,
      argv: process.argv.slice(2),
      checks: checks.run,
      checkTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
    });
    const text = [
      `${record.id}: committed — ${plan.totals.reposChanged} of ${plural(plan.totals.repos, 'repo')} back to ${plan.target.label}, ` +
        `${plural(plan.totals.files, 'file')}, in ${(record.durationMs / 1000).toFixed(2)} s`,
      `safety snapshot: ${record.safetySnapshot} (undo with: codecontext rollback undo ${record.id})`,
      `evidence: ${record.evidence}`,
      ...remotes,
    ].join('\n');
    warnUnsigned(record);
    const reached = plan.repos.filter((r) => r.remotes).map((r) => ({ repo: r.path, ...r.remotes! }));
    return { text, json: reached.length ? { ...record, remotes: reached } : record };
  } finally {
    interrupt.dispose();
  }
}

async function runPlan(ctx: CliContext, values: Record<string, unknown>, keepCaptures = false): Promise<RollbackPlan> {
  let request = requestFrom(values);
  const roots = stringList(values.root);
  const ended = await rollbackEndStates(ctx.store);
  if (roots.length) {
    const wide = await planRollback({ ...ctx }, { ...request, paths: [], fetch: false }, ended);
    request = limitToRoots(
      request,
      roots,
      wide.repos.map((r) => r.path),
    );
    if (!request.repos?.length) throw new EngineError('NoRepositories', `no repo of the target is under ${roots.join(', ')}`);
  }
  return planRollback(ctx, request, ended, { keepCaptures });
}

export const rollbackCommands: Command[] = [
  {
    name: 'rollback',
    summary: 'roll repos back to a snapshot, a campaign baseline, or the state before a step — all or nothing',
    usage:
      'codecontext rollback (--snapshot <snap> | --campaign <camp> [--step N | --only-step N]) [--mode restore|replay] [--dry-run [--diff]] ' +
      '[--repo DIR]... [--path GLOB]... [--root DIR]... [--fetch] [--remote [--rewrite]] [--check CMD [--check-timeout S]] ' +
      '[--trust-repo-checks | --skip-repo-checks] [--force]',
    examples: [
      'codecontext rollback --campaign rename-logger --dry-run',
      'codecontext rollback --campaign rename-logger --dry-run --diff | less',
      'codecontext rollback --campaign camp_abc123',
      'codecontext rollback --snapshot snap_def456 --repo ./billing --path "src/**"',
      'codecontext rollback --campaign camp_abc123 --step 2 --mode replay',
      'codecontext rollback --campaign camp_abc123 --only-step 2 --dry-run',
      "codecontext rollback --campaign camp_abc123 --check 'npm test --silent' --check-timeout 300",
      'codecontext rollback --campaign camp_abc123 --trust-repo-checks',
      'codecontext rollback --campaign camp_abc123 --remote --dry-run',
      'codecontext rollback --campaign camp_abc123 --remote --rewrite',
    ],
    details: [
      '--snapshot S        roll back to snapshot S',
      "--campaign C        roll back to campaign C's baseline; with --step N, to the state before step N",
      '--only-step N       with --campaign: undo step N alone, over every step after it (replay): the later',
      '                    steps and edits since are kept; a hunk of step N changed since is a CONFLICT',
      '                    and nothing is written',
      '--mode restore      (default) every repo ends exactly in the target state',
      "--mode replay       undo only the campaign's recorded changes, newest first; later edits are kept",
      '--dry-run           print the plan (waves, files, +/- counts, drift, conflicts) and change nothing;',
      '                    with --json, the whole plan including every inverse diff',
      "--diff              with --dry-run: also print every file's inverse diff (git's own text, what",
      '                    the rollback writes), each after its repo\'s "# repo: <path>" line, as the',
      "                    evidence pack's inverse.patch will hold them",
      '--repo DIR, --path GLOB, --root DIR   limit the rollback to some repos or files',
      '--fetch             git fetch the remotes of the repos the campaign worked in first (never prompts;',
      '                    a remote that cannot be fetched is a note), and ask them for the tags it made.',
      '                    Without it, what of the campaign reached a remote (its commits on a remote',
      '                    branch, branches it created there) is read from the remote-tracking refs as',
      '                    they are. Without --remote the rollback is local: it does not change a remote.',
      '--remote            roll back what the campaign pushed, too, in the same transaction (fetches first):',
      '                    branches it created and pushed are deleted on the remote, tags it created are',
      '                    deleted, and a branch it advanced gets a revert commit on top (work others',
      '                    pushed since is kept; a conflict with it stops the plan). Every update is',
      '                    leased on what the remote holds (a push by someone else since is never',
      "                    overwritten) and all of one remote's go in one `git push --atomic`. A failure",
      '                    puts every remote and repo back. Uses whatever git is configured with for',
      '                    credentials; never prompts (a remote that asks for a password fails at once).',
      '--rewrite           with --remote: reset the branches the campaign advanced to where it found them',
      '                    (history rewritten) instead of reverting; refused where others pushed on top',
      '                    unless --force',
      '--check CMD         after each repo commits, run CMD there (no shell; quotes as a shell reads them)',
      '                    before any repo that must follow it starts; a failure or timeout puts every',
      "                    repo back; it replaces the repos' own checks",
      'A repo\'s own check ({"check": "CMD"} in its .codecontext.json, as the rollback leaves it) is repo',
      'content, so it runs only once you allowed that exact command in that repo (kept in the store; a',
      'changed command asks again). On a terminal you are asked, y/N; otherwise, or on no, the rollback',
      'is REFUSED before anything is locked, naming the repo and the command:',
      '--trust-repo-checks allow every repo check this rollback lists (recorded), and run them',
      '--skip-repo-checks  roll back without running the repo checks not allowed (each is named on stderr)',
      '                    e.g. codecontext rollback --campaign camp_abc123 --skip-repo-checks',
      '--check-timeout S   how long a check may run (default 120); only with --check or --trust-repo-checks',
      '--force             roll back even over drift (files changed since the campaign; the safety',
      '                    snapshot keeps them), and with --remote over what --rewrite or deleting a',
      "                    branch would drop of others' work; `rollback undo` brings it back",
      'Ctrl-C cancels until the commit phase; after that the rollback finishes or puts everything back.',
    ],
    options: {
      snapshot: { type: 'string' },
      campaign: { type: 'string' },
      step: { type: 'string' },
      'only-step': { type: 'string' },
      mode: { type: 'string' },
      'dry-run': { type: 'boolean' },
      diff: { type: 'boolean' },
      repo: { type: 'string', multiple: true },
      path: { type: 'string', multiple: true },
      root: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      fetch: { type: 'boolean' },
      remote: { type: 'boolean' },
      rewrite: { type: 'boolean' },
      check: { type: 'string' },
      'check-timeout': { type: 'string' },
      'trust-repo-checks': { type: 'boolean' },
      'skip-repo-checks': { type: 'boolean' },
    },
    positionals: [0, 0],
    async run({ values }, ctx) {
      const check = typeof values.check === 'string' ? values.check : undefined;
      if (check !== undefined) checkWords(check); // shell syntax is a usage error before anything is planned
      const timeout = values['check-timeout'] === undefined ? undefined : Number(values['check-timeout']);
      if (timeout !== undefined && (!/^[0-9]{1,6}$/.test(String(values['check-timeout'])) || timeout < 1))
        throw new UsageError('--check-timeout takes whole seconds, 1 or more');
      if (values.diff && !values['dry-run']) throw new UsageError('--diff goes with --dry-run: it prints what a rollback would write');
      if (values['trust-repo-checks'] && values['skip-repo-checks']) throw new UsageError('--trust-repo-checks and --skip-repo-checks exclude each other');
      // a repo's own check runs only with consent: the timeout bounds what --check or --trust-repo-checks runs
      if (timeout !== undefined && check === undefined && !values['trust-repo-checks'])
        throw new UsageError('--check-timeout goes with --check or --trust-repo-checks: it bounds the checks they run');
      // a run starts from the plan's captures where nothing changed since (plan/keptCaptures.ts): its
      // prepare proves them, by a census of the folders where it can, instead of capturing again
      const plan = await runPlan(ctx, values, !values['dry-run']);
      try {
        return await rollbackWith(ctx, values, plan, check, timeout);
      } finally {
        await releaseCaptures(plan);
      }
    },
  },
  {
    name: 'rollback undo',
    summary: 'return every repo of a finished rollback to its safety snapshot (its own transaction and evidence)',
    usage: 'codecontext rollback undo <rb_id> [--dry-run | --force | --leave-edits-out | --keep-edits]',
    examples: ['codecontext rollback undo rb_1a2b3c', 'codecontext rollback undo rb_1a2b3c --dry-run', 'codecontext rollback undo rb_1a2b3c --keep-edits'],
    details: [
      "--dry-run          print the undo's plan and the files edited since the rollback (DRIFT); change nothing",
      'Files edited after the rollback are refused unless one of these says what becomes of them:',
      "--force            overwrite them (the undo's own safety snapshot keeps a copy)",
      '--leave-edits-out  leave those files as they are; the rest goes back',
      "--keep-edits       keep the edits and undo the rollback's change around them (a file where that",
      '                   does not merge cleanly is a conflict: nothing changes)',
      "A repo's own check runs in an undo only when the rollback it undoes ran that same command there;",
      'any other (say, one a campaign wrote into .codecontext.json) is named on stderr and not run.',
    ],
    options: { force: { type: 'boolean' }, 'leave-edits-out': { type: 'boolean' }, 'keep-edits': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
    positionals: [1, 1],
    async run({ positionals, values }, ctx) {
      const chosen = (['force', 'leave-edits-out', 'keep-edits'] as const).filter((k) => values[k]);
      if (chosen.length > 1) throw new UsageError(`give one of --force, --leave-edits-out, --keep-edits, not ${chosen.map((k) => `--${k}`).join(' and ')}`);
      const keepEdits = values['leave-edits-out'] ? ('leave' as const) : values['keep-edits'] ? ('merge' as const) : undefined;
      if (values['dry-run']) {
        const { plan } = await planUndo(ctx, positionals[0], keepEdits);
        return { text: planText(plan, new Map()), json: plan, exitCode: plan.totals.conflicts ? 1 : 0 };
      }
      const interrupt = interruptToken();
      try {
        const record = await undoRollback(ctx, positionals[0], {
          force: !!values.force,
          keepEdits,
          cancel: interrupt.cancel,
          argv: process.argv.slice(2),
          onSkippedChecks: (skipped) => reportSkipped(skipped, 'the rollback it undoes did not run it'),
        });
        warnUnsigned(record);
        return {
          text:
            `${record.id}: committed — undid ${record.undoOf} (${plural(record.repos.length, 'repo')}) in ${(record.durationMs / 1000).toFixed(2)} ` +
            `s\nevidence: ${record.evidence}` +
            (record.pushes ?? [])
              .filter((p) => p.pushed)
              .map((p) => `\n${displayPath(p.repo)}: ${p.remote} put back (${p.updates.map((u) => u.ref.replace(/^refs\/(heads|tags)\//, '')).join(', ')})`)
              .join(''),
          json: record,
        };
      } finally {
        interrupt.dispose();
      }
    },
  },
  {
    name: 'rollback list',
    summary: 'list rollbacks and undos, newest first',
    usage: 'codecontext rollback list',
    examples: ['codecontext rollback list'],
    options: {},
    positionals: [0, 0],
    async run(_args, ctx) {
      const { rollbacks: all, invalid } = await listRollbackFiles(ctx.store);
      if (all.length === 0 && invalid.length === 0)
        return { text: 'No rollbacks yet. Preview one with: codecontext rollback --campaign <camp> --dry-run', json: [] };
      // a rollback whose pack the store's evidence chain does not reach (copied in from another store) is marked, never hidden
      const chained = await chainedRollbacks(ctx.store);
      const offChain = all.filter((r) => !chained.has(r.id));
      // a record that cannot be read is listed as invalid, never left out
      const rows = [['ID', 'STARTED', 'KIND', 'OUTCOME', 'REPOS', 'TARGET']].concat(
        all.map((r) => [
          r.id,
          when(r.startedAt),
          r.kind === 'undo' ? `undo ${r.undoOf}` : r.mode,
          r.outcome + (r.undoneBy ? ` (undone by ${r.undoneBy})` : '') + (chained.has(r.id) ? '' : ' NOT ON CHAIN'),
          String(r.repos.length),
          r.target.label,
        ]),
        invalid.map((i) => [i.id, '?', '?', 'INVALID', '?', '?']),
      );
      const why = [
        ...offChain.map((r) => `${r.id}: its evidence pack is not on this store's evidence chain (see: codecontext evidence verify --chain)`),
        ...invalid.map((i) => `${i.id}: invalid: ${i.reason} (${i.file})`),
      ];
      const json = [
        ...all.map((r) => (chained.has(r.id) ? r : { ...r, notOnChain: true })),
        ...invalid.map((i) => ({ id: i.id, invalid: i.reason, file: i.file })),
      ];
      return { text: [table(rows), ...why].join('\n'), json };
    },
  },
  {
    name: 'rollback show',
    summary: 'show one rollback: outcome, phases, repos',
    usage: 'codecontext rollback show <rb_id>',
    examples: ['codecontext rollback show rb_1a2b3c'],
    options: {},
    positionals: [1, 1],
    async run({ positionals }, ctx) {
      const r = await loadRollback(ctx.store, positionals[0]);
      const lines = [
        `${r.id}  ${r.kind}${r.undoOf ? ' of ' + r.undoOf : ''}  ${r.outcome}${r.undoneBy ? ` (undone by ${r.undoneBy})` : ''}`,
        `target: ${r.target.label} (${r.target.snapshot})  mode: ${r.mode}  plan ${r.planHash.slice(0, 12)}`,
        `started ${when(r.startedAt)}, took ${(r.durationMs / 1000).toFixed(2)} s; safety snapshot ${r.safetySnapshot ?? '-'}`,
        ...(r.error ? [`error: ${[r.error.repo, r.error.path, r.error.message].filter(Boolean).join(': ')}`] : []),
        `phases: ${r.phases.map((p) => `${p.name} ${p.ms ?? '?'} ms${p.retries ? ` (${p.retries} retries)` : ''}`).join(', ')}`,
        '',
        table(
          [['REPO', 'WAVE', 'FILES', 'BEFORE', 'AFTER']].concat(
            r.repos.map((x) => [displayPath(x.path), String(x.wave + 1), String(x.files), shortId(x.before.head, 7), x.after ? shortId(x.after.head, 7) : '-']),
          ),
        ),
        '',
        `evidence: ${r.evidence}`,
      ];
      return { text: lines.join('\n'), json: r };
    },
  },
  {
    name: 'recover',
    summary: 'finish or undo rollbacks interrupted by a crash, so every repo is on one side',
    usage: 'codecontext recover [--abandon REPO]... [--root DIR]...',
    examples: ['codecontext recover', 'codecontext recover --abandon ~/src/moved-repo', 'codecontext recover --root ~/src'],
    details: [
      'Edits made in a repo since the crash are kept as they are; the state recovery found is pinned',
      'under refs/codecontext/captures/ before anything changes.',
      '--abandon REPO   give up a repo that was moved or deleted, or whose lock never goes; the',
      '                 others are recovered, and the evidence says it was given up; a remote that',
      '                 is gone for good is given up as remote:<remote>@<repo path>',
      '--root DIR       also release the locks an interrupted rollback left in repos under DIR that',
      '                 it does not list there (a repo moved while it ran)',
    ],
    options: { root: { type: 'string', multiple: true }, abandon: { type: 'string', multiple: true } },
    positionals: [0, 0],
    async run({ values }, ctx) {
      // a remote step is named as recover's messages name it (remote:<remote>@<repo>), never a path
      const abandon = stringList(values.abandon).map((r) => (r.startsWith('remote:') ? r : path.resolve(r)));
      const reports = await recoverAll(ctx, { abandon });
      const released = stringList(values.root).length ? await releaseStrandedLocks(ctx, stringList(values.root)) : [];
      const runs = await finishInterruptedRuns(ctx);
      const lines = [...reports.map((r) => r.message), ...released, ...runs];
      const text = lines.length ? lines.join('\n') : 'Nothing to recover: every rollback in the journal has ended.';
      return { text, json: stringList(values.root).length ? { reports, released } : reports, exitCode: reports.some((r) => r.action === 'failed') ? 1 : 0 };
    },
  },
  {
    name: 'evidence show',
    summary: "print a rollback's evidence pack readably",
    usage: 'codecontext evidence show <rb_id|path>',
    examples: ['codecontext evidence show rb_1a2b3c'],
    options: {},
    positionals: [1, 1],
    async run({ positionals }, ctx) {
      const file = await locateEvidence(ctx.store, positionals[0]);
      const e = await readEvidence(file);
      const lines = [
        `Evidence ${e.id} (${e.kind}${e.undoOf ? ' of ' + e.undoOf : ''}) — ${e.outcome}`,
        `who: ${e.who.gitName ?? e.who.user}${e.who.gitEmail ? ` <${e.who.gitEmail}>` : ''} on ${e.host}; codecontext ${e.toolVersion}`,
        `command: ${commandLine(e) ?? '-'}`,
        ...(e.leftOut?.length
          ? [
              `partial: left out ${e.leftOut
                .map((l) => `${displayPath(l.repo)}${l.path !== undefined ? `/${showPath(l.path)}` : ' (whole repo)'} (${l.reason})`)
                .join(', ')}`,
            ]
          : []),
        `target: ${e.target.label} (${e.target.snapshot}); mode ${e.mode}; plan ${e.planHash}`,
        `time: ${when(e.startedAt)} → ${when(e.endedAt)}; safety snapshot ${e.safetySnapshot ?? '-'}`,
        ...(e.error ? [`error: ${[e.error.repo, e.error.path, e.error.message].filter(Boolean).join(': ')}`] : []),
        ...e.phases.map((p) => `phase ${p.name}: ${p.ms ?? '?'} ms, ${p.retries} retries`),
      ];
      for (const r of e.repos) {
        lines.push('', `${displayPath(r.path)} (wave ${r.wave + 1})${r.compensated ? ' — returned to safety' : ''}`);
        lines.push(
          `  before ${shortId(r.before.head, 7)} ${branchName(r.before.ref)}  target ${shortId(r.target.head, 7)} ${branchName(r.target.ref)}  after ` +
            `${r.after ? shortId(r.after.head, 7) + ' ' + branchName(r.after.ref) : '-'}`,
        );
        for (const f of r.files)
          lines.push(`  ${f.change.padEnd(8)} ${showPath(f.path)}  ${shortId(f.fromBlob, 7)} → ${shortId(f.blob, 7)}  diff ${f.diffHash.slice(0, 12)}`);
        for (const w of remoteWords(r.remotes)) lines.push(`  on its remotes: ${w}`);
        for (const c of (e.checks ?? []).filter((x) => x.repo === r.path)) {
          const how = c.timedOut ? 'timed out' : `exit ${c.exitCode}`;
          lines.push(
            `  check \`${c.command}\`: ${how} in ${c.durationMs} ms${c.exitCode === 0 ? '' : `: ${c.outputTail.trim().split('\n').slice(-1)[0] ?? ''}`}`,
          );
        }
      }
      const comments = commentsOf(e);
      if (comments.length) {
        // the reviewers' notes on the steps this rollback undid: the reasons, often, for undoing them
        lines.push('', `review comments on the steps undone (${comments.length}):`);
        for (const c of comments) {
          const file = c.path ? `/${showPath(c.path)}${typeof c.line === 'number' ? `:${c.line}` : ''}` : '';
          const who = [c.author, c.at ? when(c.at) : ''].filter(Boolean).join(', ');
          const step = typeof c.step === 'number' ? `step ${c.step} ` : '';
          lines.push(`  ${step}${c.repo ? displayPath(c.repo) : ''}${file}${who ? ` — ${who}` : ''}: ${c.text.replace(/\s*\n\s*/g, ' ')}`);
        }
      }
      lines.push('', `digest: ${e.digest}`, `file: ${file}`);
      if (e.report) lines.push(`report: ${path.join(path.dirname(file), path.basename(e.report.file))} (the same, as a page for any browser)`);
      return { text: lines.join('\n'), json: e };
    },
  },
  {
    name: 'evidence verify',
    summary: "recompute an evidence pack's digest; with --repos, check the repos are still in the recorded end state",
    usage: 'codecontext evidence verify (<rb_id|path> [--repos] [--allowed-signers FILE] | --chain)',
    examples: [
      'codecontext evidence verify rb_1a2b3c --repos',
      'codecontext evidence verify rb_1a2b3c --allowed-signers ~/.ssh/allowed_signers',
      'codecontext evidence verify --chain',
    ],
    details: [
      '--repos   also check that every repo is still in the state the pack recorded',
      'A pack is signed when git has a signing key (user.signingkey, gpg.format ssh or openpgp); its',
      'signature is checked against --allowed-signers FILE (else gpg.ssh.allowedSignersFile of your global',
      "git config: never a repo's, whose config a forged pack could name) or the gpg keyring.",
      '--chain   walk every pack of the store, each linked to the one before it by its digest, and',
      '          name any pack deleted, replaced, edited or reordered',
    ],
    options: { repos: { type: 'boolean' }, chain: { type: 'boolean' }, 'allowed-signers': { type: 'string' } },
    positionals: [0, 1],
    async run({ positionals, values }, ctx) {
      if (values.chain) {
        const chain = await verifyEvidenceChain(ctx.store);
        const lines = [
          chain.ok
            ? `OK: the chain of ${chain.walked.length} evidence packs is whole`
            : `FAILED: the evidence chain is broken (${plural(chain.walked.length, 'pack')} walked)`,
        ];
        lines.push(...chain.problems.map((p) => `  ${p}`));
        return { text: lines.join('\n'), json: chain, exitCode: chain.ok ? 0 : 1 };
      }
      if (positionals.length === 0) throw new UsageError('evidence verify needs a rollback id or a pack file, or --chain');
      const file = await locateEvidence(ctx.store, positionals[0]);
      const check = await verifyEvidence(
        file,
        values.repos ? ctx.store : false,
        typeof values['allowed-signers'] === 'string' ? path.resolve(values['allowed-signers']) : undefined,
      );
      const lines = [check.ok ? `OK: ${file} is intact${values.repos ? ' and every repo is in its recorded end state' : ''}` : `FAILED: ${file}`];
      const s = check.signature;
      lines.push(
        s.state === 'good'
          ? `  signed by ${s.signer}`
          : s.state === 'unsigned'
            ? '  unsigned: no signing key was configured when it was written (its digest was checked)'
            : `  signature BAD${s.signer ? ` (claims ${s.signer})` : ''}`,
      );
      lines.push(...check.problems.map((p) => `  ${p}`));
      for (const r of check.repos ?? []) if (!r.ok) lines.push(`  ${displayPath(r.path)}: ${r.problem}`);
      return { text: lines.join('\n'), json: check, exitCode: check.ok ? 0 : 1 };
    },
  },
];

/** On stderr (stdout stays the record): a signing key is set, but this pack could not be signed. */
function warnUnsigned(record: RollbackRecord): void {
  if (record.evidenceUnsigned) process.stderr.write(`codecontext: warning: the evidence pack is not signed: ${record.evidenceUnsigned}\n`);
}
