import * as vscode from 'vscode';
import { RollbackUndoPreviewRequest } from '../../../server/src/protocol';
import type { KeepEdits, RepoCheck, RollbackRecord, RollbackUndoPreview } from '../../../server/src/protocol';
import { requireClient } from '../serverClient';
import { pickUndoFiles } from './undoFilesPick';
import { changedRepos, plural, repoName, rollbackTitle, shortId } from '../views/format';

/**
 * Every modal confirmation of a change to the repos goes through `ask`, so each reads and behaves
 * the same wherever it starts (palette, tree, toast, the preview panel). The first button is the
 * one Enter presses: callers put the safe choice first when the other one overwrites work.
 */
export interface Confirmation {
  message: string;
  detail: string;
  /** In the order shown; `buttons[0]` has the focus (Enter). VS Code adds Cancel. */
  buttons: string[];
  /** The button Enter presses: always `buttons[0]`, named for the reader of a dry run. */
  defaultButton: string;
}

/**
 * VS Code refuses modal dialogs while extension tests run; the tests answer through the extension's
 * API instead (`answerConfirmations`), and see every confirmation that would have been shown.
 */
let answerer: ((c: Confirmation) => string | undefined) | undefined;
let shown: Confirmation[] = [];

/** Each call starts a new list of what was shown; the list an earlier call returned stays as it was. */
export function answerConfirmations(answer: ((c: Confirmation) => string | undefined) | undefined): Confirmation[] {
  answerer = answer;
  shown = [];
  return shown;
}

export function confirmation(message: string, detail: string, buttons: string[]): Confirmation {
  return { message, detail, buttons, defaultButton: buttons[0] };
}

/** Shows the modal; resolves to the button pressed, undefined for Cancel / Escape. */
export async function ask(c: Confirmation): Promise<string | undefined> {
  if (answerer) {
    shown.push(c);
    return answerer(c);
  }
  return vscode.window.showWarningMessage(c.message, { modal: true, detail: c.detail }, ...c.buttons);
}

/** What becomes of the files edited since the rollback: what the undo request carries. */
export interface UndoChoice {
  force?: boolean;
  keepEdits?: KeepEdits;
}

export const previewUndoButton = 'Preview Undo…';
export const leaveEditsButton = 'Leave Those Files Out';
export const keepEditsButton = 'Keep My Edits';
export const overwriteEditsButton = 'Overwrite My Edits';
/** How many edited files the confirmation names one by one. */
const namedEdits = 8;

/**
 * The undo's confirmation. With files edited since the rollback (`preview.edited`), it names them
 * and offers what a rollback offers: leave them out (nothing of the user's is lost), keep them with
 * the rollback's change undone around them (only when that merges: `merged` has no conflicts), or
 * overwrite them (the undo's safety snapshot keeps a copy); Preview Undo… (`offerPreview`, the
 * default then) first shows the undo's files. Without it, leaving them out is the default.
 */
export function undoConfirmation(record: RollbackRecord, preview?: RollbackUndoPreview, merged?: RollbackUndoPreview, offerPreview = false): Confirmation {
  const changed = preview?.reposChanged ?? changedRepos(record);
  const back = changed === 1 ? '1 repo goes back to how it was' : `${changed} repos go back to how they were`;
  const safety = record.safetySnapshot ? shortId(record.safetySnapshot) : 'none';
  const title = `Undo "${rollbackTitle(record)}"?`;
  const edited = preview?.edited ?? [];
  const files = edited.flatMap((e) => e.files.map((f) => `${repoName(e.repo)}/${f}`));
  const other = edited.flatMap((e) => e.other.map((o) => `${repoName(e.repo)}: ${o}`));
  if (files.length === 0 && other.length === 0) {
    return confirmation(title, `${back} just before it (safety snapshot ${safety}), as a transaction of its own, with its own safety snapshot and evidence.`, [
      'Undo Rollback',
    ]);
  }
  const canKeep = files.length > 0 && other.length === 0 && !!merged && merged.conflicts.length === 0;
  const canLeave = files.length > 0 && other.length === 0;
  const why = merged?.conflicts[0];
  const detail = [
    `${back} just before it (safety snapshot ${safety}).`,
    '',
    `⚠ Edited since the rollback: ${files.length + other.length === 1 ? 'your edit, will be lost' : 'your edits, will be lost'} if overwritten:`,
    ...files.slice(0, namedEdits).map((f) => `• ${f}`),
    files.length > namedEdits ? `• …and ${plural(files.length - namedEdits, 'more file')}` : '',
    ...other.map((o) => `• ${o}`),
    '',
    canLeave
      ? `${leaveEditsButton}: ${files.length === 1 ? 'it stays' : 'they stay'} as ${files.length === 1 ? 'it is' : 'they are'}; the rest goes back.`
      : '',
    canKeep
      ? `${keepEditsButton}: your edits stay, and the rollback's change is undone around them.`
      : why
        ? `Your edits cannot be kept with the rollback's change undone around them: ${repoName(why.repo)}${why.path ? `/${why.path}` : ''}: ${why.reason}.`
        : '',
    `${overwriteEditsButton}: the undo's own safety snapshot keeps a copy, and undoing the undo brings them back.`,
    offerPreview ? `${previewUndoButton}: the files the undo changes, yours marked, each with its diff; then this choice again.` : '',
  ].filter((line, i, all) => line !== '' || (all[i - 1] ?? '') !== '');
  // the safe choice first: Enter must not overwrite the user's work
  const buttons = [
    ...(offerPreview ? [previewUndoButton] : []),
    ...(canLeave ? [leaveEditsButton] : []),
    ...(canKeep ? [keepEditsButton] : []),
    overwriteEditsButton,
  ];
  return confirmation(title, detail.join('\n'), buttons);
}

/**
 * The one confirmation of an undo, from the palette, a tree, the outcome toast or the preview panel:
 * asks the server what the undo would overwrite first, so the words name the user's edits, and
 * offers its files with their diffs (Preview Undo…) before the choice. Resolves
 * to what the undo request carries, undefined when the user cancelled.
 */
export async function confirmUndo(record: RollbackRecord): Promise<UndoChoice | undefined> {
  const client = requireClient();
  const preview = await client.sendRequest(RollbackUndoPreviewRequest, { rollback: record.id });
  const fileEdits = preview.edited.some((e) => e.files.length);
  const merged = fileEdits ? await client.sendRequest(RollbackUndoPreviewRequest, { rollback: record.id, keepEdits: 'merge' }) : undefined;
  // with edits found, Preview Undo… first; once the preview's pick closes, the same choice without it
  let answer = await ask(undoConfirmation(record, preview, merged, true));
  const c = undoConfirmation(record, preview, merged);
  if (answer === previewUndoButton) {
    await pickUndoFiles(record, preview);
    answer = await ask(c);
  }
  if (answer === undefined) return undefined;
  if (answer === leaveEditsButton) return { keepEdits: 'leave' };
  if (answer === keepEditsButton) return { keepEdits: 'merge' };
  if (answer === overwriteEditsButton) return { force: true };
  return answer === c.buttons[0] ? {} : undefined;
}

/** What an execute request says about the repos' own checks: those the user consented to, or that the rest are skipped. */
export interface RepoCheckConsent {
  repoChecks?: RepoCheck[];
  skipRepoChecks?: boolean;
}

const skipChecksButton = 'Roll Back Without Them';
const runChecksButton = 'Run Them and Roll Back';

/** A command on one line, showing what runs: control, invisible and reordering characters as escapes (as the CLI shows them). */
function commandLine(command: string): string {
  // eslint-disable-next-line no-control-regex
  return command.replace(/[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function repoChecksConfirmation(checks: readonly RepoCheck[]): Confirmation {
  const one = checks.length === 1;
  return confirmation(
    one ? "Run this repo's own check after it rolls back?" : `Run these ${checks.length} repos' own checks after they roll back?`,
    `${one ? 'Its' : 'Their'} .codecontext.json ${one ? 'asks' : 'ask'} to run, after the rollback:\n` +
      checks.map((c) => `${c.repo}: ${commandLine(c.command)}`).join('\n') +
      '\n\nThis file is repo content, possibly written by the campaign being rolled back. Run only commands you trust.',
    [skipChecksButton, runChecksButton],
  );
}

/**
 * Consent to the repos' own checks a plan lists, asked before execute: in a workspace VS Code does
 * not trust they never run (nothing is asked); otherwise a modal lists every command, "without
 * them" first. Resolves to what the execute request carries, undefined when the user cancelled.
 * `confirm: false` (tests, callers that show no modal) runs none.
 */
export async function consentToRepoChecks(checks: readonly RepoCheck[] | undefined, confirm = true): Promise<RepoCheckConsent | undefined> {
  if (!checks?.length) return {};
  if (!vscode.workspace.isTrusted || !confirm) return { skipRepoChecks: true };
  const answer = await ask(repoChecksConfirmation(checks));
  if (answer === runChecksButton) return { repoChecks: [...checks] };
  return answer === skipChecksButton ? { skipRepoChecks: true } : undefined;
}
