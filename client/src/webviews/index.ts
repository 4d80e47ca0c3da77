import * as vscode from 'vscode';
import { CampaignListRequest } from '../../../server/src/protocol';
import { describeError } from '../output';
import { requireClient } from '../serverClient';
import { EvidencePanel } from './evidencePanel';
import { HistoryPanel } from './historyPanel';
import type { PanelHandle } from './panelHost';
import { PreviewPanel } from './previewPanel';
import { ReviewFocus } from '../review/focus';
import { ReviewedSteps } from './reviewed';
import { PreviewTarget, pickTarget, targetFromArg } from './target';

export type { PanelHandle } from './panelHost';

/**
 * The two webview panels and their commands:
 * - `codecontext.previewRollback` (arg: a `PreviewTarget`, an id, or a tree item; none: a quick pick)
 * - `codecontext.showCampaignHistory` (arg: a campaign id or name, or a tree item; none: a quick pick)
 * - `codecontext.history.previousStep` / `nextStep` / `codecontext.preview.refresh`: the panels' toolbar.
 * - `codecontext.evidence.show` (arg: a rollback id; what `codecontext.openEvidence` opens) and
 *   `codecontext.evidence.verify` (the evidence panel's toolbar).
 * Both open commands return the panel's `PanelHandle` (undefined when the pick was dismissed): the e2e
 * tests drive the page through it. An open panel for the same target is revealed, not duplicated.
 */
export function registerWebviews(context: vscode.ExtensionContext, reviewed: ReviewedSteps, focus: ReviewFocus): vscode.Disposable[] {
  const previews = new Map<string, PreviewPanel>();
  const histories = new Map<string, HistoryPanel>();
  let activeHistory: HistoryPanel | undefined;
  let activePreview: PreviewPanel | undefined;
  const evidence = new Map<string, EvidencePanel>();
  let activeEvidence: EvidencePanel | undefined;

  function showEvidence(rollback: string): EvidencePanel {
    const open = evidence.get(rollback);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = EvidencePanel.create(context.extensionUri, rollback);
    evidence.set(rollback, panel);
    track(
      panel,
      () => evidence.delete(rollback),
      (active) => (activeEvidence = active ? panel : activeEvidence === panel ? undefined : activeEvidence),
    );
    return panel;
  }

  async function previewRollback(arg?: unknown): Promise<PanelHandle | undefined> {
    const target: PreviewTarget | undefined = targetFromArg(arg) ?? (await pickTarget());
    if (!target) return undefined;
    const key = PreviewPanel.keyOf(target);
    const open = previews.get(key);
    if (open) {
      open.panel.reveal();
      open.revealed();
      return open;
    }
    const panel = PreviewPanel.create(context.extensionUri, target);
    previews.set(key, panel);
    track(
      panel,
      () => previews.delete(key),
      (active) => (activePreview = active ? panel : activePreview === panel ? undefined : activePreview),
    );
    return panel;
  }

  async function showCampaignHistory(arg?: unknown): Promise<PanelHandle | undefined> {
    const id = campaignFromArg(arg) ?? (await pickCampaign());
    if (!id) return undefined;
    const open = [...histories.values()].find((p) => p.campaignId === id);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = HistoryPanel.create(context.extensionUri, id, reviewed, focus);
    histories.set(id, panel);
    track(
      panel,
      () => histories.delete(id),
      (active) => (activeHistory = active ? panel : activeHistory === panel ? undefined : activeHistory),
    );
    return panel;
  }

  /** Keeps the toolbar's context key and the "active panel" in step with the panel; forgets it when closed. */
  function track(panel: PreviewPanel | HistoryPanel | EvidencePanel, forget: () => void, setActive: (active: boolean) => void): void {
    setActive(true);
    const viewState = panel.panel.onDidChangeViewState((e) => setActive(e.webviewPanel.active));
    panel.panel.onDidDispose(() => {
      viewState.dispose();
      setActive(false);
      forget();
    });
  }

  /** Errors of a command that never reached a panel: one message; a missing server says so. */
  const guarded =
    <T>(what: string, f: (arg?: unknown) => Promise<T>) =>
    async (arg?: unknown): Promise<T | undefined> => {
      try {
        return await f(arg);
      } catch (e) {
        void vscode.window.showErrorMessage(`CodeContext: ${what} failed: ${describeError(e)}`);
        return undefined;
      }
    };

  return [
    vscode.commands.registerCommand('codecontext.previewRollback', guarded('Preview Rollback', previewRollback)),
    vscode.commands.registerCommand('codecontext.showCampaignHistory', guarded('Campaign History', showCampaignHistory)),
    vscode.commands.registerCommand('codecontext.history.previousStep', () => activeHistory && activeHistory.show(activeHistory.currentStep - 1)),
    vscode.commands.registerCommand('codecontext.history.nextStep', () => activeHistory && activeHistory.show(activeHistory.currentStep + 1)),
    vscode.commands.registerCommand('codecontext.preview.refresh', () => activePreview?.refresh()),
    vscode.commands.registerCommand('codecontext.evidence.show', (rollback: string) => showEvidence(rollback)),
    vscode.commands.registerCommand('codecontext.evidence.verify', () =>
      activeEvidence?.verify().catch((e) => void vscode.window.showErrorMessage(`CodeContext: Verify failed: ${describeError(e)}`)),
    ),
    new vscode.Disposable(() => {
      for (const p of [...previews.values(), ...histories.values(), ...evidence.values()]) p.dispose();
    }),
  ];
}

function campaignFromArg(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  if (!arg || typeof arg !== 'object') return undefined;
  const o = arg as Record<string, unknown>;
  for (const k of ['campaign', 'campaignId', 'id']) if (typeof o[k] === 'string' && (k !== 'id' || (o[k] as string).startsWith('camp_'))) return o[k] as string;
  return undefined;
}

async function pickCampaign(): Promise<string | undefined> {
  const { campaigns } = await requireClient().sendRequest(CampaignListRequest, {});
  if (campaigns.length === 0) {
    void vscode.window.showInformationMessage('CodeContext: no campaigns yet. Start one with "CodeContext: Start Campaign".');
    return undefined;
  }
  if (campaigns.length === 1) return campaigns[0].id;
  const picked = await vscode.window.showQuickPick(
    campaigns.map((c) => ({ label: c.name, description: c.id, detail: `${c.stepCount} steps · ${c.repoCount} repos · ${c.status}`, id: c.id })),
    { title: 'Campaign History', placeHolder: 'Which campaign?' },
  );
  return picked?.id;
}
