import * as vscode from 'vscode';
import type { RollbackRecord } from '../../../server/src/protocol';
import { changedRepos, shortId } from '../views/format';
import { rollbackTitle } from '../views/rollbacksView';

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
