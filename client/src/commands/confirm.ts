import * as vscode from 'vscode';
import type { RepoCheck, RollbackRecord } from '../../../server/src/protocol';
import { changedRepos, rollbackTitle, shortId } from '../views/format';

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

export function undoConfirmation(record: RollbackRecord): Confirmation {
  const changed = changedRepos(record);
  const back = changed === 1 ? '1 repo goes back to how it was' : `${changed} repos go back to how they were`;
  const safety = record.safetySnapshot ? shortId(record.safetySnapshot) : 'none';
  return confirmation(
    `Undo "${rollbackTitle(record)}"?`,
    `${back} just before it (safety snapshot ${safety}), as a transaction of its own, with its own safety snapshot and evidence.`,
    ['Undo Rollback'],
  );
}

/** The one confirmation of an undo, from the palette, a tree, the outcome toast or the preview panel. */
export async function confirmUndo(record: RollbackRecord): Promise<boolean> {
  const c = undoConfirmation(record);
  return (await ask(c)) === c.buttons[0];
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
