import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import {
  RollbackRecoverRequest,
  ErrorData,
  RollbackExecuteRequest,
  RollbackExecuteResult,
  RollbackListRequest,
  RollbackMode,
  RollbackPreview,
  RollbackPreviewRequest,
  RollbackRecord,
  RollbackUndoRequest,
} from '../../../server/src/protocol';
import { describeError, isCancel, showOutputAction } from '../output';
import { sendWithProgress, withServerProgress } from '../request';
import { requireClient } from '../serverClient';
import { changedRepos, duration, lines, plural, repoName, rollbackTitle, shortHash, shortId } from '../views/format';
import { idArg, optionsArg, stepArg } from './args';
import { CommandContext } from './context';
import { Confirmation, UndoChoice, ask, confirmUndo, confirmation, consentToRepoChecks } from './confirm';
import { pickRollback, pickSnapshot } from './pickers';
import { runTransaction } from './transaction';
import type { PanelHandle } from '../webviews';
import { allProblems, checkEvidence } from '../webviews/evidencePanel';
import { listScope, outsideOpenFolders } from '../scope';

/** Options a caller (a test, another command) may pass after the target; the interactive path is the default. */
export interface TransactionOptions {
  /** false: no modal confirmation (tests). */
  confirm?: boolean;
  mode?: RollbackMode;
  /** Roll back over drift without asking. */
  force?: boolean;
  /** Plan only: resolve to the confirmation the user would read (`Confirmation`), change nothing. */
  dryRun?: boolean;
}

export type { Confirmation };

/** How many repos the confirmation names one by one before "…and N more". */
const namedRepos = 6;

/**
 * "Rollback to Snapshot…": quick pick of snapshots (newest first) → a preview → a modal stating what
 * will change → a transaction with progress (Cancel until commit) → the outcome with "Open Evidence"
 * and "Undo". Also takes its target from a tree node (a snapshot, a campaign's baseline, the state
 * before a step) or an id. Resolves to the result, or undefined when the user stopped.
 */
export async function rollbackToSnapshot(
  ctx: CommandContext,
  ...args: unknown[]
): Promise<(RollbackExecuteResult & { message: string }) | Confirmation | undefined> {
  const options = optionsArg<TransactionOptions>(args);
  const arg = args[0];
  let snapshot = idArg(arg, 'snapshot');
  const campaign = snapshot ? undefined : typeof arg === 'object' ? idArg(arg, 'campaign') : undefined;
  const step = campaign ? stepArg(arg) : undefined;
  if (!snapshot && !campaign) {
    snapshot = (await pickSnapshot('Rollback to Snapshot', 'Roll every repo of a snapshot back to it: yours first, then campaigns, then safety snapshots'))?.id;
    if (!snapshot) return undefined;
  }
  // not a notification: one would still be fading out behind the confirmation that follows (VS Code
  // keeps a progress notification up for at least 800 ms), and the run has one of its own
  const preview = await withServerProgress(planningLocation(arg), 'Planning the rollback', (token, report) =>
    sendWithProgress(RollbackPreviewRequest, { snapshot, campaign, step, mode: options.mode }, token, report),
  );
  const label = targetName(preview);
  if (preview.totals.reposChanged === 0) {
    void vscode.window.showInformationMessage(`Nothing to roll back: every repo already matches ${label}.`);
    return undefined;
  }
  if (preview.totals.conflicts > 0) {
    const open = 'Open Preview';
    const answer = await vscode.window.showErrorMessage(
      `The rollback to ${label} has ${plural(preview.totals.conflicts, 'conflict')} and cannot run as planned.`,
      { modal: true, detail: conflictLines(preview).join('\n') },
      open,
    );
    if (answer === open) await vscode.commands.executeCommand('codecontext.previewRollback', { snapshot, campaign, step, mode: options.mode });
    return undefined;
  }
  let force = options.force ?? false;
  if (options.dryRun) return confirmationOf(preview);
  if (options.confirm !== false) {
    const answer = await confirmRollback(preview);
    if (!answer) return undefined;
    if (answer === 'preview' || answer === 'remotes') {
      await vscode.commands.executeCommand('codecontext.previewRollback', { snapshot, campaign, step, mode: preview.mode, remotes: answer === 'remotes' });
      return undefined;
    }
    force ||= preview.totals.drift > 0;
  }
  const consent = await consentToRepoChecks(preview.repoChecks, options.confirm !== false);
  if (!consent) return undefined;
  try {
    const result = await runTransaction(`Rolling back ${plural(preview.totals.reposChanged, 'repo')} to ${label}`, (token, report) =>
      sendWithProgress(RollbackExecuteRequest, { plan: preview.hash, force, ...consent }, token, report),
    );
    ctx.refresh();
    const r = result.record;
    const message = outcomeText(preview, result);
    void outcomeMessage(ctx, message, r.id, true);
    return { ...result, message };
  } catch (e) {
    await failedTransaction(ctx, 'Rollback', e);
    return undefined;
  }
}

const previewButton = 'Preview…';
/** Offered when the campaign is on the remotes: the preview, with every such remote chosen for the rollback too. */
const remotesButton = 'Preview With Remotes…';

/** Where planning shows its progress: the tree the rollback started from, else the status bar. */
function planningLocation(arg: unknown): vscode.ProgressLocation | { viewId: string } {
  const kind = arg && typeof arg === 'object' ? (arg as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string') return vscode.ProgressLocation.Window;
  return { viewId: kind.startsWith('snapshot') ? 'codecontext.snapshots' : 'codecontext.campaigns' };
}

async function confirmRollback(preview: RollbackPreview): Promise<'run' | 'preview' | 'remotes' | undefined> {
  const c = confirmationOf(preview);
  const answer = await ask(c);
  if (answer === remotesButton) return 'remotes';
  return answer === previewButton ? 'preview' : answer && answer === runButton(preview) ? 'run' : undefined;
}

function runButton(preview: RollbackPreview): string {
  return preview.repos.some((r) => r.edits.length) ? 'Roll Back Over My Edits' : 'Roll Back';
}

/**
 * A rollback's target as the lists name it: a snapshot by its words (quoted, with its short id),
 * a campaign target by its label ("rename-logger baseline").
 */
export function targetName(preview: Pick<RollbackPreview, 'target' | 'request'>): string {
  const t = preview.target;
  if (t.label === t.snapshot || !preview.request.snapshot) return t.label;
  return `"${t.label}" (${shortId(t.snapshot)})`;
}

/** What the toast says once a rollback committed: the count the confirmation gave, and the repos that already matched. */
export function outcomeText(preview: RollbackPreview, result: RollbackExecuteResult): string {
  const r = result.record;
  const changed = preview.totals.reposChanged;
  const same = r.repos.length - changed;
  const late = result.cancelArrivedLate ? ' The cancel arrived after the commit began, so the rollback finished.' : '';
  const matched = same > 0 ? ` (${plural(same, 'other repo')} already matched)` : '';
  const unsigned = r.evidenceUnsigned ? ` The evidence pack is not signed: ${r.evidenceUnsigned}.` : '';
  const onRemotes = preview.repos.filter((x) => x.onRemotes).length;
  const remote = onRemotes ? ` The campaign is still on the remotes of ${plural(onRemotes, 'repo')}: this rollback did not change them.` : '';
  return `Rolled back ${plural(changed, 'repo')} to ${targetName(preview)} in ${duration(r.durationMs)}${matched}.${late}${remote}${unsigned}`;
}

export function confirmationOf(preview: RollbackPreview): Confirmation {
  const t = preview.totals;
  const changed = preview.repos.filter((r) => r.changed);
  const heads = changed.filter((r) => r.headChanged).length;
  // the server's words for what the campaign left on the remotes: this rollback is local and leaves it
  const remote = preview.repos.flatMap((r) => r.remoteLines.map((line) => `• ${repoName(r.path)}: ${line}`));
  // drift, and the user's edits since the newest record of the repos: each named, Preview first (issue 25, item 2)
  const edits = preview.repos.reduce((n, r) => n + r.edits.length, 0);
  // a repo outside this window's folders is never reached without its path said (issue 25, item 3)
  const outside = new Set(outsideOpenFolders(changed.map((r) => r.path)));
  const named = (repo: string) => (outside.has(repo) ? `${repoName(repo)} (${repo})` : repoName(repo));
  const detail = [
    `${plural(t.files, 'file')} will change in ${plural(t.reposChanged, 'repo')} (${lines(t.added, t.removed)} ` +
      `lines)${heads ? `; HEAD moves in ${plural(heads, 'repo')}` : ''}.`,
    '',
    ...changed
      .slice(0, namedRepos)
      .map(
        (r) =>
          `• ${named(r.path)}: ${plural(r.fileCount, 'file')}` +
          (r.headChanged ? `, HEAD → ${shortHash(r.goal.head)}` : '') +
          (r.edits.length ? ` (⚠ ${r.edits.length === 1 ? '1 is your edit' : `${r.edits.length} are your edits`})` : ''),
      ),
    changed.length > namedRepos ? `• …and ${plural(changed.length - namedRepos, 'more repo')}` : '',
    '',
    ...(remote.length
      ? [
          'On the remotes (this rollback is local; "Preview With Remotes…" rolls them back too):',
          ...remote.slice(0, 2 * namedRepos),
          remote.length > 2 * namedRepos ? `• …and ${remote.length - 2 * namedRepos} more` : '',
          '',
        ]
      : []),
    ...(outside.size
      ? [`⚠ ${outside.size === 1 ? 'This repo is' : `${outside.size} of these repos are`} outside this window's folders: ${[...outside].join(', ')}.`, '']
      : []),
    ...(edits
      ? [
          `⚠ ${edits === 1 ? 'Your edit, will be lost' : 'Your edits, will be lost'} (changed since the newest snapshot, checkpoint or rollback ` +
            `of ${t.reposChanged === 1 ? 'this repo' : 'these repos'}; the safety snapshot keeps a copy):`,
          ...editLines(preview),
          '',
        ]
      : []),
    `A safety snapshot of every repo is taken first; "Undo" returns them. Mode: ${preview.mode}.`,
  ].filter((line, i, all) => line !== '' || (all[i - 1] ?? '') !== '');
  // with drift, Enter must not overwrite someone's work: the safe choice goes first and has the focus
  // …nor must it reach a repo the user may not know this window holds
  const buttons = edits || outside.size ? [previewButton, runButton(preview)] : [runButton(preview), previewButton];
  // what the campaign pushed is rolled back only where the user chooses it, in the preview
  if (preview.repos.some((r) => r.onRemotes)) buttons.push(remotesButton);
  return confirmation(`Roll back ${plural(t.reposChanged, 'repo')} to ${targetName(preview)}?`, detail.join('\n'), buttons);
}

/** The user's edits a rollback would overwrite, each by repo and path, as the dialog names them. */
function editLines(preview: RollbackPreview): string[] {
  const all = preview.repos.flatMap((r) => r.edits.map((e) => `• ${repoName(r.path)}${e.kind === 'file' ? `/${e.path}` : `: ${e.label}`}`));
  return all.length > 2 * namedRepos ? [...all.slice(0, 2 * namedRepos), `• …and ${all.length - 2 * namedRepos} more`] : all;
}

function conflictLines(preview: RollbackPreview): string[] {
  return preview.repos.flatMap((r) => r.conflicts.map((c) => `• ${repoName(r.path)}${c.path ? `/${c.path}` : ''}: ${c.reason}`)).slice(0, 12);
}

/** "Undo Last Rollback", or undo the rollback a tree node names. */
export async function undoRollback(ctx: CommandContext, ...args: unknown[]): Promise<RollbackExecuteResult | undefined> {
  const options = optionsArg<TransactionOptions>(args);
  const undoable = (r: RollbackRecord) => r.kind === 'rollback' && r.outcome === 'committed' && !r.undoneBy;
  let id = idArg(args[0], 'rollback');
  let record: RollbackRecord | undefined;
  const { rollbacks } = await requireClient().sendRequest(RollbackListRequest, listScope());
  if (id) record = rollbacks.find((r) => r.id === id || r.id.startsWith(id!));
  else record = rollbacks.find(undoable);
  if (!record) {
    void vscode.window.showInformationMessage(id ? `CodeContext: no rollback ${id}.` : 'CodeContext: there is no rollback to undo.');
    return undefined;
  }
  id = record.id;
  const title = rollbackTitle(record, rollbacks);
  if (!undoable(record)) {
    void vscode.window.showInformationMessage(
      `${title} (${shortId(id)}) cannot be undone: it ${record.undoneBy ? `was undone by ${record.undoneBy}` : `ended ${record.outcome}`}.`,
    );
    return undefined;
  }
  let choice: UndoChoice = { force: options.force };
  if (options.confirm !== false) {
    const chosen = await confirmUndo(record);
    if (!chosen) return undefined;
    choice = chosen;
  }
  try {
    const result = await runTransaction(`Undoing ${title}`, (token, report) =>
      sendWithProgress(RollbackUndoRequest, { rollback: id!, ...choice }, token, report),
    );
    ctx.refresh();
    const back = changedRepos(result.record);
    void outcomeMessage(
      ctx,
      `Undid ${title}: ${back === 1 ? '1 repo is' : `${back} repos are`} back as ${back === 1 ? 'it was' : 'they were'} before it.`,
      result.record.id,
      false,
    );
    return result;
  } catch (e) {
    await failedTransaction(ctx, 'Undo', e);
    return undefined;
  }
}

async function outcomeMessage(ctx: CommandContext, text: string, rollback: string, offerUndo: boolean): Promise<void> {
  const evidence = 'Open Evidence';
  const undo = 'Undo';
  const answer = await vscode.window.showInformationMessage(text, evidence, ...(offerUndo ? [undo] : []));
  if (answer === evidence) await vscode.commands.executeCommand('codecontext.openEvidence', rollback);
  // the Rollbacks view offers the same Undo on this rollback's row once the toast is gone
  if (answer === undo) await vscode.commands.executeCommand('codecontext.undoRollback', rollback);
  void ctx;
}

/** A cancel before commit changed nothing; an abort names its rollback (evidence exists). */
async function failedTransaction(ctx: CommandContext, what: string, e: unknown): Promise<void> {
  if (isCancel(e)) {
    void vscode.window.setStatusBarMessage(`$(circle-slash) ${what} cancelled: nothing was changed.`, 5000);
    return;
  }
  const data = e instanceof ResponseError ? (e.data as ErrorData | undefined) : undefined;
  ctx.output.error(`${what} failed: ${describeError(e)}${data ? ` ${JSON.stringify(data)}` : ''}`);
  if (data?.rollback) {
    ctx.refresh();
    const evidence = 'Open Evidence';
    const show = 'Show Output';
    const answer = await vscode.window.showErrorMessage(
      `${what} ${data.outcome ?? 'aborted'}: ${describeError(e)}. Every repo is back as it was before it; the evidence pack ${shortId(data.rollback)} ` +
        `says what happened.`,
      evidence,
      show,
    );
    if (answer === evidence) await vscode.commands.executeCommand('codecontext.openEvidence', data.rollback);
    if (answer === show) ctx.output.show(true);
    return;
  }
  throw e;
}

/**
 * Opens a rollback's evidence as its rendered report (the evidence panel: outcome, timeline, states,
 * inverse diffs, Verify); the raw JSON is one button away there, read-only. Resolves to the panel.
 */
export async function openEvidence(_ctx: CommandContext, ...args: unknown[]): Promise<PanelHandle | undefined> {
  const id = idArg(args[0], 'rollback') ?? (await pickRollback('Open Evidence Pack'))?.id;
  if (!id) return undefined;
  return vscode.commands.executeCommand<PanelHandle>('codecontext.evidence.show', id);
}

/** Recomputes an evidence pack's digest and checks the repos are still in its end state. */
export async function verifyEvidence(ctx: CommandContext, ...args: unknown[]): Promise<boolean | undefined> {
  const id = idArg(args[0], 'rollback') ?? (await pickRollback('Verify Evidence Pack'))?.id;
  if (!id) return undefined;
  const check = await withServerProgress({ viewId: 'codecontext.rollbacks' }, 'Verifying', () => checkEvidence(id));
  if (check.ok) {
    void vscode.window.showInformationMessage(`Evidence ${shortId(id)} is intact and every repo is still in its recorded end state.`);
  } else {
    const problems = allProblems(check);
    for (const p of problems) ctx.output.warn(`evidence ${id}: ${p}`);
    const text = `Evidence ${shortId(id)}: ${problems[0] ?? 'check failed'}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`;
    await showOutputAction(text, ctx.output, 'warning');
  }
  return check.ok;
}

/** Recovers interrupted rollbacks (as `codecontext recover`): edits made since are kept and pinned. */
export async function recoverRollbacks(ctx: CommandContext): Promise<unknown> {
  const { reports } = await withServerProgress(
    vscode.ProgressLocation.Notification,
    'Recovering interrupted rollbacks',
    (token) => requireClient().sendRequest(RollbackRecoverRequest, {}, token),
    false,
  );
  ctx.refresh();
  for (const r of reports) ctx.output.appendLine(`recover: ${r.message}`);
  const failed = reports.filter((r) => r.action === 'failed');
  const text = reports.length === 0 ? 'CodeContext: nothing to recover.' : reports.map((r) => r.message).join(' ');
  if (failed.length) void vscode.window.showErrorMessage(`CodeContext: ${text}`);
  else void vscode.window.showInformationMessage(`CodeContext: ${text}`);
  return reports;
}
