import * as vscode from 'vscode';
import {
  CampaignCheckpointRequest,
  CampaignDetailRequest,
  CampaignListRequest,
  CampaignStartRequest,
  RollbackExecuteRequest,
  RollbackFileDiffRequest,
  RollbackListRequest,
  RollbackPlanFilesRequest,
  RollbackPreview,
  RollbackPreviewParams,
  RollbackPreviewRequest,
  RollbackRecord,
  RollbackUndoRequest,
  SnapshotListRequest,
} from '../../server/src/protocol';
import { requireClient } from './serverClient';
import { plural } from './views/format';

/**
 * The agent tools of VS Code's agent mode (issue 23, item 4): `contributes.languageModelTools` in
 * package.json declares each (name, input schema, model-facing description); this registers them
 * with `vscode.lm.registerTool`. Each is a request to the server, as the CLI's `codecontext mcp`
 * tools are commands over the same engine and store. The destructive ones ask first, through
 * `prepareInvocation`'s confirmation; none sends a repo's own check consent, so a rollback whose
 * repos have checks not yet allowed is refused (the user allows them in the preview or the CLI).
 */

type Target = { campaign?: string; snapshot?: string; step?: number; onlyStep?: number; mode?: 'restore' | 'replay' };

/** The most inverse diff text a preview returns, and per file. */
const diffBudget = { total: 24000, perFile: 4000, files: 20 };

function result(value: unknown): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(JSON.stringify(value))]);
}

function targetParams(t: Target): RollbackPreviewParams {
  return { campaign: t.campaign, snapshot: t.snapshot, step: t.step, onlyStep: t.onlyStep, mode: t.mode };
}

async function targetWords(t: Target, token: vscode.CancellationToken): Promise<string> {
  if (t.snapshot) return `snapshot ${t.snapshot}`;
  const w = await campaignWords(t.campaign, t.onlyStep ?? t.step, token);
  if (t.onlyStep) return `step ${t.onlyStep} of campaign ${w.campaign} undone alone ${w.detail} (the later steps are kept)`.replace('  ', ' ');
  if (t.step) return `campaign ${w.campaign} as it was before step ${t.step} ${w.detail}`.trimEnd();
  return `campaign ${w.campaign}'s baseline`;
}

function recordShort(r: RollbackRecord) {
  return {
    id: r.id,
    kind: r.kind,
    undoOf: r.undoOf,
    outcome: r.outcome,
    target: r.target.label,
    mode: r.mode,
    repos: r.repos.map((x) => ({ path: x.path, files: x.files })),
  };
}

async function preview(t: Target, token: vscode.CancellationToken) {
  const client = requireClient();
  const plan: RollbackPreview = await client.sendRequest(RollbackPreviewRequest, targetParams(t), token);
  const files = await client.sendRequest(RollbackPlanFilesRequest, { plan: plan.hash, limit: diffBudget.files }, token);
  let left = diffBudget.total;
  const diffs = [];
  for (const f of files.items) {
    if (left <= 0) break;
    const d = await client.sendRequest(RollbackFileDiffRequest, { plan: plan.hash, repo: f.repo, path: f.path }, token);
    const text = d.patch.slice(0, Math.min(diffBudget.perFile, left));
    left -= text.length;
    diffs.push({
      repo: f.repo,
      path: f.path,
      change: f.change,
      added: f.added,
      removed: f.removed,
      diff: text + (text.length < d.patch.length ? '\n… (cut)' : ''),
    });
  }
  return { plan, diffs, more: Math.max(0, plan.totals.files - diffs.length) };
}

/** Previews, refuses what a rollback would refuse (conflicts; drift without force), then executes. */
async function rollBack(t: Target & { force?: boolean }, token: vscode.CancellationToken) {
  const { plan } = await preview(t, token);
  if (plan.totals.conflicts) {
    const c = plan.repos.find((r) => r.conflicts.length)!;
    throw new Error(`${plural(plan.totals.conflicts, 'conflict')}, nothing changed; first: ${c.path}: ${c.conflicts[0].path ?? ''}: ${c.conflicts[0].reason}`);
  }
  const { record } = await requireClient().sendRequest(RollbackExecuteRequest, { plan: plan.hash, force: t.force }, token);
  return recordShort(record);
}

/**
 * How a confirmation names a campaign and one of its steps: by its name and what the step did, as the
 * views show them, not by an id the user never typed. The id stays when the server cannot say more.
 */
async function campaignWords(campaign: string | undefined, step: number | undefined, token: vscode.CancellationToken) {
  if (!campaign) return { campaign: '?', detail: '' };
  try {
    const c = await requireClient().sendRequest(CampaignDetailRequest, { id: campaign }, token);
    const s = step ? c.steps.find((x) => x.n === step) : undefined;
    if (!s) return { campaign: `"${c.name}"`, detail: '' };
    const what = s.message || s.command?.join(' ');
    const n = s.counts.modified + s.counts.added + s.counts.deleted + s.counts.renamed + s.counts.mode;
    return { campaign: `"${c.name}"`, detail: `(${what ? `${what}: ` : ''}${plural(n, 'file')} in ${plural(s.reposChanged, 'repo')})` };
  } catch {
    return { campaign, detail: '' };
  }
}

function tool<T>(
  invoke: (input: T, token: vscode.CancellationToken) => Promise<unknown>,
  confirm?: (input: T, token: vscode.CancellationToken) => Promise<{ title: string; message: string }>,
) {
  const t: vscode.LanguageModelTool<T> = {
    async invoke(options, token) {
      return result(await invoke(options.input, token));
    },
  };
  if (confirm) {
    t.prepareInvocation = async (options, token) => {
      const c = await confirm(options.input, token);
      return { invocationMessage: c.title, confirmationMessages: { title: c.title, message: new vscode.MarkdownString(c.message) } };
    };
  }
  return t;
}

/** Registers every tool package.json declares; the names are the contract with `contributes.languageModelTools`. */
export function registerLanguageModelTools(): vscode.Disposable[] {
  if (!vscode.lm?.registerTool) return []; // an editor without the LM API
  return [
    vscode.lm.registerTool(
      'codecontext_list_campaigns',
      tool(async (_i: object, token) => (await requireClient().sendRequest(CampaignListRequest, {}, token)).campaigns),
    ),
    vscode.lm.registerTool(
      'codecontext_list_snapshots',
      tool(async (_i: object, token) => (await requireClient().sendRequest(SnapshotListRequest, {}, token)).snapshots.slice(0, 50)),
    ),
    vscode.lm.registerTool(
      'codecontext_list_rollbacks',
      tool(async (_i: object, token) => (await requireClient().sendRequest(RollbackListRequest, {}, token)).rollbacks.slice(0, 50).map(recordShort)),
    ),
    vscode.lm.registerTool(
      'codecontext_start_campaign',
      tool(async (i: { name: string; roots?: string[] }, token) => {
        const c = await requireClient().sendRequest(CampaignStartRequest, { name: i.name, roots: i.roots }, token);
        return { id: c.id, name: c.name, repos: c.repos };
      }),
    ),
    vscode.lm.registerTool(
      'codecontext_checkpoint',
      tool(async (i: { campaign: string; message?: string }, token) => {
        const r = await requireClient().sendRequest(CampaignCheckpointRequest, { campaign: i.campaign, message: i.message }, token);
        return { campaign: r.campaign, step: { n: r.step.n, reposChanged: r.step.reposChanged, counts: r.step.counts }, files: r.changeCount };
      }),
    ),
    vscode.lm.registerTool(
      'codecontext_preview_rollback',
      tool(async (i: Target, token) => {
        const { plan, diffs, more } = await preview(i, token);
        return {
          plan: plan.hash.slice(0, 12),
          mode: plan.mode,
          target: plan.target.label,
          totals: plan.totals,
          repos: plan.repos.map((r) => ({ path: r.path, files: r.fileCount, drift: r.edits.map((e) => e.label), conflicts: r.conflicts, notes: r.notes })),
          diffs,
          ...(more ? { diffsLeftOut: more } : {}),
        };
      }),
    ),
    vscode.lm.registerTool(
      'codecontext_rollback',
      tool(
        (i: Target & { force?: boolean }, token) => rollBack(i, token),
        async (i, token) => ({
          title: 'Roll back?',
          message:
            `Roll the repos back to **${await targetWords(i, token)}**${i.mode === 'replay' ? ' (replay: later edits kept)' : ''}` +
            `${i.force ? ', over edits made since the last checkpoint' : ''}. A safety snapshot is taken first; the rollback can be undone.`,
        }),
      ),
    ),
    vscode.lm.registerTool(
      'codecontext_undo_step',
      tool(
        (i: { campaign: string; step: number }, token) => rollBack({ campaign: i.campaign, onlyStep: i.step }, token),
        async (i, token) => {
          const w = await campaignWords(i.campaign, i.step, token);
          return {
            title: 'Undo one step?',
            message:
              `Undo **step ${i.step}** of campaign **${w.campaign}** alone${w.detail ? ` ${w.detail}` : ''}; the steps after it are kept. ` +
              'A safety snapshot is taken first; the undo can be undone.',
          };
        },
      ),
    ),
    vscode.lm.registerTool(
      'codecontext_undo_rollback',
      tool(
        async (i: { rollback: string; force?: boolean }, token) =>
          recordShort((await requireClient().sendRequest(RollbackUndoRequest, { rollback: i.rollback, force: i.force }, token)).record),
        async (i) => ({ title: 'Undo the rollback?', message: `Put every repo of rollback **${i.rollback}** back as it was just before it.` }),
      ),
    ),
  ];
}
