import * as vscode from 'vscode';
import {
  Campaign,
  CampaignCheckpointRequest,
  CampaignOverlap,
  CampaignDetailRequest,
  CampaignRunRequest,
  CampaignRunResult,
  CampaignStartRequest,
  CampaignStepResult,
  CampaignOverlapRequest,
  ReposListRequest,
  SavedSnapshot,
  SnapshotCreateRequest,
  SnapshotVerifyRequest,
} from '../../../server/src/protocol';
import { markRunning } from '../activity';
import { sendWithProgress, withServerProgress } from '../request';
import { requireClient } from '../serverClient';
import { ago, lines, plural, repoName, shortId, snapshotName } from '../views/format';
import { Confirmation, ask, confirmation } from './confirm';
import { idArg, optionsArg } from './args';
import { commandWords, showArgv } from './commandWords';
import { CommandContext } from './context';
import { pickCampaign, pickSnapshot } from './pickers';

/** Snapshots and campaigns: create, start, checkpoint, run, verify. Outcomes go to the status bar unless the user must act. */

/** "Create Snapshot": every repo of the workspace; `{ message }` skips the prompt. */
export async function createSnapshot(ctx: CommandContext, ...args: unknown[]): Promise<SavedSnapshot | undefined> {
  const options = optionsArg<{ message: string }>(args);
  // an empty folder is said before a note is asked for, not after
  if ((await requireClient().sendRequest(ReposListRequest, {})).repos.length === 0) {
    void vscode.window.showWarningMessage(`No git repositories under ${workspaceFolders()}: there is nothing to snapshot.`);
    return undefined;
  }
  const message =
    options.message ??
    (await vscode.window.showInputBox({
      title: 'Create Snapshot',
      prompt: 'A note to find it by later (optional)',
      placeHolder: 'e.g. before the lint codemod',
    }));
  if (message === undefined) return undefined;
  const manifest = await withServerProgress({ viewId: 'codecontext.snapshots' }, 'Creating snapshot', (token, report) =>
    sendWithProgress(SnapshotCreateRequest, { message: message || undefined }, token, report),
  );
  ctx.refresh();
  if (manifest.reused) {
    // the same states are the same snapshot: say which, and that the words were kept on it, never "created"
    const kept = message.trim() ? ` The note "${message.trim()}" is kept on it: the Snapshots view and the quick pick find it by that name too.` : '';
    void vscode.window.showInformationMessage(
      `Nothing changed since snapshot "${snapshotName(manifest)}" (${shortId(manifest.id)}, ${ago(manifest.createdAt)}), so no new snapshot was needed.${kept}`,
    );
  } else {
    vscode.window.setStatusBarMessage(`$(device-camera) Snapshot ${shortId(manifest.id)} of ${plural(manifest.repos.length, 'repo')} created`, 8000);
  }
  return manifest;
}

/** "Verify Snapshot": the manifest matches its id and every repo still holds every object and the pin ref. */
export async function verifySnapshot(ctx: CommandContext, ...args: unknown[]): Promise<boolean | undefined> {
  const id = idArg(args[0], 'snapshot') ?? (await pickSnapshot('Verify Snapshot', 'Snapshot to check', false))?.id;
  if (!id) return undefined;
  const result = await withServerProgress({ viewId: 'codecontext.snapshots' }, 'Verifying', () => requireClient().sendRequest(SnapshotVerifyRequest, { id }));
  if (result.ok) {
    void vscode.window.showInformationMessage(`Snapshot ${shortId(id)} is intact: ${plural(result.repos.length, 'repo')} hold every object and the pin ref.`);
  } else {
    const bad = result.repos.filter((r) => !r.ok);
    for (const r of bad) for (const p of r.problems) ctx.output.warn(`snapshot ${id}: ${r.path}: ${p}`);
    const show = 'Show Output';
    const first = bad[0] ? `${repoName(bad[0].path)}: ${bad[0].problems[0]}` : 'the manifest does not match';
    if ((await vscode.window.showWarningMessage(`Snapshot ${shortId(id)} is damaged in ${plural(bad.length, 'repo')}: ${first}`, show)) === show)
      ctx.output.show(true);
  }
  return result.ok;
}

/**
 * "Start Campaign": first what it would start on (no repositories: said before a name is asked; an
 * active campaign on the same repos: a warning that says how the two interact), then a name, then
 * the baseline of every repo of the workspace folders. `{ dryRun: true }` resolves to the warning
 * it would show (or the no-repositories message) and starts nothing; `{ confirm: false }` starts
 * over an overlap without asking.
 */
export async function startCampaign(ctx: CommandContext, ...args: unknown[]): Promise<Campaign | Confirmation | string | undefined> {
  const options = optionsArg<{ name: string; roots: string[]; dryRun: boolean; confirm: boolean }>(args);
  const { repos, campaigns: others } = await requireClient().sendRequest(CampaignOverlapRequest, { roots: options.roots });
  if (repos.length === 0) {
    const where = options.roots?.join(', ') || workspaceFolders();
    const text = `No git repositories under ${where}: a campaign needs at least one. Open a folder that holds git repositories.`;
    if (!options.dryRun) void vscode.window.showWarningMessage(text);
    return text;
  }
  if (others.length) {
    const c = overlapConfirmation(others, repos.length);
    if (options.dryRun) return c;
    if (options.confirm !== false && (await ask(c)) !== c.buttons[0]) return undefined;
  } else if (options.dryRun) {
    return undefined;
  }
  const name =
    (typeof args[0] === 'string' ? args[0] : options.name) ??
    (await vscode.window.showInputBox({
      title: 'Start Campaign',
      prompt: 'Name the automated change; its baseline snapshot is taken now',
      placeHolder: 'e.g. rename-logger',
      validateInput: (v) => (v.trim() ? undefined : 'A campaign needs a name'),
    }));
  if (!name) return undefined;
  const campaign = await withServerProgress({ viewId: 'codecontext.campaigns' }, `Starting ${name}`, (token, report) =>
    sendWithProgress(CampaignStartRequest, { name, roots: options.roots }, token, report),
  );
  ctx.refresh();
  vscode.window.setStatusBarMessage(`$(history) Campaign ${name} started: baseline of ${plural(campaign.repos.length, 'repo')}`, 8000);
  return campaign;
}

/** "Checkpoint Campaign": records what changed since the last checkpoint as a step. */
export async function checkpointCampaign(ctx: CommandContext, ...args: unknown[]): Promise<CampaignStepResult | undefined> {
  const options = optionsArg<{ message: string }>(args);
  const campaign = idArg(args[0], 'campaign') ?? (await pickCampaign('Checkpoint Campaign'))?.id;
  if (!campaign) return undefined;
  const result = await markRunning(campaign, 'checkpoint', () =>
    withServerProgress({ viewId: 'codecontext.campaigns' }, 'Checkpoint', (token, report) =>
      sendWithProgress(CampaignCheckpointRequest, { campaign, message: options.message }, token, report),
    ),
  );
  ctx.refresh();
  vscode.window.setStatusBarMessage(`$(git-commit) Step ${result.step.n}: ${stepSummary(result)}`, 8000);
  return result;
}

/** What "Run Command in Campaign…" asks before it runs: the exact argv, or why the line needs a shell. */
export interface RunConfirmation {
  message: string;
  detail: string;
  buttons: string[];
  /** The words run without a shell (what the process receives), whether or not the line can run that way. */
  argv: string[];
  /** What "Run in a Shell" runs. */
  shellArgv: string[];
  /** Set when the line holds what only a shell does (a pipe, `$VAR`, a glob…): then only the shell button is offered. */
  needsShell?: string;
}

const runButton = 'Run';
const shellButton = 'Run in a Shell (sh -c)';

/**
 * "Run Command in Campaign…": a command line run in every repo of the campaign, then a checkpoint. The
 * line is read into argv words as a POSIX shell reads quotes and backslashes (commandWords.ts: the rules
 * of rolling checks), and the confirmation shows those exact words before anything runs; "Run in a Shell"
 * runs `sh -c <line>` instead, and says so. Options (tests, other commands): `{ value }` fills the input
 * box, `{ line }` skips it, `{ dryRun: true }` resolves to the confirmation's words, `{ confirm: false, shell? }` runs without
 * asking; `{ command: [...] }` runs those words as they are.
 */
export async function runInCampaign(ctx: CommandContext, ...args: unknown[]): Promise<CampaignRunResult | RunConfirmation | undefined> {
  const options = optionsArg<{ command: string[]; line: string; value: string; shell: boolean; message: string; dryRun: boolean; confirm: boolean }>(args);
  const campaign = idArg(args[0], 'campaign') ?? (await pickCampaign('Run Command in Campaign'))?.id;
  if (!campaign) return undefined;
  let command = options.command;
  let shown = command?.join(' ');
  if (!command) {
    const line = options.line ?? (await askCommandLine(options.value));
    if (!line?.trim()) return undefined;
    const detail = await requireClient().sendRequest(CampaignDetailRequest, { id: campaign });
    const confirmation = runConfirmation(detail.name, detail.repos.length, line);
    if (options.dryRun) return confirmation;
    let shell = options.shell ?? false;
    if (options.confirm !== false) {
      const answer = await vscode.window.showWarningMessage(confirmation.message, { modal: true, detail: confirmation.detail }, ...confirmation.buttons);
      if (!answer) return undefined;
      shell = answer === shellButton;
    } else if (confirmation.needsShell && !shell) {
      throw new Error(`the command uses ${confirmation.needsShell}, which only a shell does: run it in a shell (sh -c)`);
    }
    command = shell ? confirmation.shellArgv : confirmation.argv;
    shown = shell ? `sh -c ${line}` : showArgv(command);
  }
  const what = shown ?? command.join(' ');
  const result = await markRunning(campaign, what, () =>
    withServerProgress(vscode.ProgressLocation.Notification, `Running ${what}`, (token, report) =>
      sendWithProgress(CampaignRunRequest, { campaign, command, message: options.message }, token, report),
    ),
  );
  ctx.refresh();
  if (result.failed.length) {
    for (const f of result.failed) ctx.output.warn(`${f.repo}: exit ${f.exitCode}\n${f.outputTail}`);
    const show = 'Show Output';
    const names = result.failed
      .slice(0, 3)
      .map((f) => repoName(f.repo))
      .join(', ');
    const more = result.failed.length > 3 ? ', …' : '';
    const answer = await vscode.window.showWarningMessage(
      `${what} failed in ${plural(result.failed.length, 'repo')} (${names}${more}); step ${result.step.n} recorded what changed.`,
      show,
    );
    if (answer === show) ctx.output.show(true);
  } else {
    vscode.window.setStatusBarMessage(`$(terminal) Step ${result.step.n}: ${stepSummary(result)}`, 8000);
  }
  return result;
}

function workspaceFolders(): string {
  return vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath).join(', ') || 'the workspace (it has no folder)';
}

/** The warning before a second active campaign on the same repos: which, on how many, and how the two interact. */
export function overlapConfirmation(others: readonly CampaignOverlap[], repoCount: number): Confirmation {
  const names = others.map((o) => `"${o.name}"`).join(', ');
  const shared = Math.max(...others.map((o) => o.shared.length));
  const which = others.length === 1 ? `Campaign ${names} is` : `Campaigns ${names} are`;
  const where = shared === repoCount ? `all ${plural(repoCount, 'repo')}` : `${shared} of these ${plural(repoCount, 'repo')}`;
  return confirmation(
    `${which} already active on ${where}. Start another one?`,
    [
      ...others.map((o) => `• ${o.name}: ${o.shared.slice(0, 4).map(repoName).join(', ')}${o.shared.length > 4 ? ` and ${o.shared.length - 4} more` : ''}`),
      '',
      "Both campaigns will record every change in the shared repos: a checkpoint of either records the other's edits as its own step, " +
        "each shows the other's edits as drift, and rolling one back to its baseline also undoes the other's work there (its safety snapshot keeps that work).",
      'To keep them apart, finish or roll back the other campaign first.',
    ].join('\n'),
    ['Start Anyway'],
  );
}

/**
 * The input box of "Run Command in Campaign…": as the line is typed (and for a `value` it starts with),
 * its message shows the argv words it is read into, or what in it needs a shell. An input box made here
 * rather than `showInputBox`, whose validation message appears only once the value is edited.
 */
function askCommandLine(value = ''): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = 'Run Command in Campaign';
  box.placeholder = `e.g. sed -i 's/logger/log/g' "src/main file.ts"`;
  box.prompt = 'Runs in every repo of the campaign, then a checkpoint records what it changed. Quotes and backslashes are read as a POSIX shell reads them';
  box.ignoreFocusOut = true;
  const show = (v: string) => {
    if (!v.trim()) {
      box.validationMessage = undefined;
      return;
    }
    const w = commandWords(v);
    const { Warning, Info } = vscode.InputBoxValidationSeverity;
    box.validationMessage = w.needsShell
      ? { message: `Uses ${w.needsShell}, which only a shell does: you will be offered to run it with sh -c`, severity: Warning }
      : { message: `argv: ${showArgv(w.words)}`, severity: Info };
  };
  box.value = value;
  show(value);
  return new Promise((resolve) => {
    let accepted: string | undefined;
    const scope = [
      box.onDidChangeValue(show),
      box.onDidAccept(() => {
        if (!box.value.trim()) return; // nothing to run: the box stays open, as a validation error would keep it
        accepted = box.value;
        box.hide();
      }),
      box.onDidHide(() => {
        for (const d of scope) d.dispose();
        box.dispose();
        resolve(accepted);
      }),
    ];
    box.show();
  });
}

/** The confirmation's words for `line` in a campaign of `repos` repos. */
export function runConfirmation(campaign: string, repos: number, line: string): RunConfirmation {
  const { words, needsShell } = commandWords(line);
  const shellArgv = ['sh', '-c', line];
  const where = `${plural(repos, 'repo')} of ${campaign}`;
  const after = 'A checkpoint then records what it changed, as a step you can roll back.';
  if (needsShell || !words.length) {
    return {
      message: `This command needs a shell: run it with sh -c in the ${where}?`,
      detail: [
        `It uses ${needsShell ?? 'nothing but shell syntax'}, which only a shell does; without one it could not run as typed.`,
        '',
        'In a shell, each repo runs:',
        showArgv(shellArgv),
        '',
        after,
      ].join('\n'),
      buttons: [shellButton],
      argv: words,
      shellArgv,
      needsShell: needsShell ?? 'shell syntax',
    };
  }
  return {
    message: `Run ${words[0]} in the ${where}?`,
    detail: [
      'Without a shell, each repo runs exactly these words (argv):',
      showArgv(words),
      '',
      "Quotes and backslashes were read as a POSIX shell reads them: '…' keeps everything, outside quotes \\x is x; $'\\x20' is a space.",
      `"${shellButton}" runs ${showArgv(shellArgv)} instead: the shell then expands variables, globs and pipes itself.`,
      '',
      after,
    ].join('\n'),
    buttons: [runButton, shellButton],
    argv: words,
    shellArgv,
  };
}

function stepSummary(result: CampaignStepResult): string {
  const c = result.step.counts;
  return `${plural(result.changeCount, 'file')} in ${plural(result.step.reposChanged, 'repo')} (${lines(c.linesAdded, c.linesRemoved)})`;
}
