import * as vscode from 'vscode';
import {
  Campaign,
  CampaignCheckpointRequest,
  CampaignOverlap,
  CampaignDetailRequest,
  CampaignRunRequest,
  CampaignFinishInterruptedRequest,
  CampaignStep,
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
import { requireClient, serverWentAway, whenRunning } from '../serverClient';
import { ago, lines, plural, repoName, shortId, snapshotName } from '../views/format';
import { Confirmation, ask, confirmation } from './confirm';
import { idArg, optionsArg } from './args';
import { RunConfirmation, lineNote, runConfirmation } from './commandWords';
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
  // the pushSnapshots setting: a repo whose part could not be published is said, not hidden in the output
  const notPushed = (manifest.pushed ?? []).filter((x) => !x.ok);
  for (const x of notPushed) ctx.output.warn(`snapshot ${manifest.id}: ${x.repo}: not pushed: ${x.problem}`);
  if (notPushed.length) {
    void vscode.window.showWarningMessage(
      `Snapshot ${shortId(manifest.id)} was not pushed for ${plural(notPushed.length, 'repo')} (${notPushed[0].problem}); it is kept here all the same.`,
    );
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

/**
 * "Run Command in Campaign…": a command line run in every repo of the campaign, then a checkpoint. The
 * line is read into words as a POSIX shell reads quotes and backslashes (commandWords.ts: the rules of
 * rolling checks) and runs without a shell; a line that uses what only a shell does runs with `sh -c`,
 * and the confirmation says so. A plain line is shown as typed; a line whose quotes or backslashes
 * changed its words shows the words (issue 25, item 12). When the command fails in some repos, the
 * message offers "Run Again Where It Failed" (the CLI's `--only-failed`): the same command, in those
 * repos only, as a step of its own. Options (tests, other commands): `{ value }` fills the input box,
 * `{ line }` skips it, `{ dryRun: true }` resolves to the confirmation, `{ confirm: false, shell? }`
 * runs without asking; `{ command: [...] }` runs those words as they are, `{ repos: [...] }` only there.
 */
export async function runInCampaign(ctx: CommandContext, ...args: unknown[]): Promise<CampaignRunResult | RunConfirmation | InterruptedRun | undefined> {
  const options = optionsArg<{
    command: string[];
    line: string;
    value: string;
    shell: boolean;
    message: string;
    dryRun: boolean;
    confirm: boolean;
    repos: string[];
  }>(args);
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
    if (options.confirm !== false) {
      const show = confirmation.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      if ((await show(confirmation.message, { modal: true, detail: confirmation.detail }, ...confirmation.buttons)) !== confirmation.buttons[0])
        return undefined;
    } else if (confirmation.needsShell && !options.shell) {
      throw new Error(`the command uses ${confirmation.needsShell}, which only a shell does: run it in a shell (sh -c)`);
    }
    const shell = !!confirmation.needsShell || options.shell === true;
    command = shell ? confirmation.shellArgv : confirmation.argv;
    shown = line.trim();
  }
  const what = shown ?? command.join(' ');
  const repos = options.repos;
  let result: CampaignRunResult;
  try {
    result = await markRunning(campaign, what, () =>
      withServerProgress(vscode.ProgressLocation.Notification, `Running ${what}`, (token, report) =>
        sendWithProgress(CampaignRunRequest, { campaign, command, message: options.message, ...(repos ? { repos } : {}) }, token, report),
      ),
    );
  } catch (e) {
    if (!serverWentAway(e)) throw e;
    return interruptedRun(ctx, campaign, what, command, options.message);
  }
  ctx.refresh();
  if (result.failed.length) {
    for (const f of result.failed) ctx.output.warn(`${f.repo}: exit ${f.exitCode}\n${f.outputTail}`);
    const show = 'Show Output';
    const again = 'Run Again Where It Failed';
    const names = result.failed
      .slice(0, 3)
      .map((f) => repoName(f.repo))
      .join(', ');
    const more = result.failed.length > 3 ? ', …' : '';
    const answer = await vscode.window.showWarningMessage(
      `${what} failed in ${plural(result.failed.length, 'repo')} (${names}${more}); step ${result.step.n} recorded what changed.`,
      again,
      show,
    );
    if (answer === show) ctx.output.show(true);
    if (answer === again)
      await vscode.commands.executeCommand('codecontext.runInCampaign', campaign, {
        command,
        repos: result.failed.map((f) => f.repo),
        message: options.message,
      });
  } else {
    vscode.window.setStatusBarMessage(`$(terminal) Step ${result.step.n}: ${stepSummary(result)}`, 8000);
  }
  return result;
}

/** What a run the server's death interrupted did: the step recording it, where it finished and where not. */
export interface InterruptedRun {
  interrupted: true;
  step?: CampaignStep;
  finished: string[];
  notFinished: string[];
  message: string;
}

/**
 * The server died while a command ran in the campaign (issue 25, item 7): once it runs again (the
 * client restarts it, or "Restart Server" does), the run is recorded as the step it was, and the
 * message says where the command finished and where not, offering to run it again there.
 */
async function interruptedRun(ctx: CommandContext, campaign: string, what: string, command: string[], message?: string): Promise<InterruptedRun> {
  ctx.output.warn(`the CodeContext server stopped while \`${what}\` ran in the campaign; waiting for it to run again to record what finished`);
  await whenRunning();
  const { step } = await requireClient().sendRequest(CampaignFinishInterruptedRequest, { campaign });
  ctx.refresh();
  const results = step?.results ?? [];
  const finished = results.filter((r) => r.exitCode !== -1).map((r) => r.repo);
  const notFinished = results.filter((r) => r.exitCode === -1).map((r) => r.repo);
  const names = (repos: string[]) => `${repos.slice(0, 3).map(repoName).join(', ')}${repos.length > 3 ? ', …' : ''}`;
  const text = step
    ? `The CodeContext server stopped while ${what} ran. ` +
      (finished.length ? `It finished in ${plural(finished.length, 'repo')} (${names(finished)})` : 'It finished in no repo') +
      (notFinished.length ? ` and did not finish in ${plural(notFinished.length, 'repo')} (${names(notFinished)})` : '') +
      `; step ${step.n} recorded what changed.`
    : `The CodeContext server stopped while ${what} ran; there was no unfinished run left to record.`;
  const again = 'Run Again Where It Did Not Finish';
  const show = 'Show Output';
  void vscode.window.showWarningMessage(text, ...(notFinished.length ? [again] : []), show).then(async (answer) => {
    if (answer === show) ctx.output.show(true);
    if (answer === again) await vscode.commands.executeCommand('codecontext.runInCampaign', campaign, { command, repos: notFinished, message });
  });
  return { interrupted: true, ...(step ? { step } : {}), finished, notFinished, message: text };
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
 * its message says how it will run when that is not plain (the words its quotes make, or that it needs
 * a shell). An input box made here rather than `showInputBox`, whose validation message appears only
 * once the value is edited.
 */
function askCommandLine(value = ''): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = 'Run Command in Campaign';
  box.placeholder = `e.g. sed -i 's/logger/log/g' "src/main file.ts"`;
  box.prompt = 'Runs in every repo of the campaign, then a checkpoint records what it changed';
  box.ignoreFocusOut = true;
  const show = (v: string) => {
    if (!v.trim()) {
      box.validationMessage = undefined;
      return;
    }
    // a plain line says nothing (no icon, no words); a warning icon is for what is wrong, and nothing here is
    const said = lineNote(v);
    box.validationMessage = said ? { message: said, severity: vscode.InputBoxValidationSeverity.Info } : undefined;
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

function stepSummary(result: CampaignStepResult): string {
  const c = result.step.counts;
  return `${plural(result.changeCount, 'file')} in ${plural(result.step.reposChanged, 'repo')} (${lines(c.linesAdded, c.linesRemoved)})`;
}
