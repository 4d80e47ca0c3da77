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
  const previews = new OpenPanels<PreviewPanel>();
  const histories = new OpenPanels<HistoryPanel>();
  const evidence = new OpenPanels<EvidencePanel>();

  const showEvidence = (rollback: string): EvidencePanel => evidence.show(rollback, () => EvidencePanel.create(context.extensionUri, rollback));

  async function previewRollback(arg?: unknown): Promise<PanelHandle | undefined> {
    const target: PreviewTarget | undefined = targetFromArg(arg) ?? (await pickTarget());
    if (!target) return undefined;
    return previews.show(
      PreviewPanel.keyOf(target),
      () => PreviewPanel.create(context.extensionUri, target),
      (open) => open.revealed(),
    );
  }

  async function showCampaignHistory(arg?: unknown): Promise<PanelHandle | undefined> {
    const id = campaignFromArg(arg) ?? (await pickCampaign());
    if (!id) return undefined;
    return histories.show(id, () => HistoryPanel.create(context.extensionUri, id, reviewed, focus));
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
    vscode.commands.registerCommand('codecontext.history.previousStep', () => histories.active && histories.active.show(histories.active.currentStep - 1)),
    vscode.commands.registerCommand('codecontext.history.nextStep', () => histories.active && histories.active.show(histories.active.currentStep + 1)),
    vscode.commands.registerCommand('codecontext.preview.refresh', () => previews.active?.refresh()),
    vscode.commands.registerCommand('codecontext.evidence.show', (rollback: string) => showEvidence(rollback)),
    vscode.commands.registerCommand('codecontext.evidence.verify', () =>
      evidence.active?.verify().catch((e) => void vscode.window.showErrorMessage(`CodeContext: Verify failed: ${describeError(e)}`)),
    ),
    new vscode.Disposable(() => {
      for (const p of [...previews.all(), ...histories.all(), ...evidence.all()]) p.dispose();
    }),
  ];
}

/**
 * The open panels of one kind, by key, and the active one (for the toolbar's commands). An open panel for a key is revealed, not duplicated;
 * a closed one is forgotten.
 */
class OpenPanels<P extends PanelHandle & vscode.Disposable> {
  private readonly open = new Map<string, P>();
  active: P | undefined;

  /** The panel for `key`: the open one, revealed (then `onReveal`), or a new one from `create`. */
  show(key: string, create: () => P, onReveal?: (open: P) => void): P {
    const open = this.open.get(key);
    if (open) {
      open.panel.reveal();
      onReveal?.(open);
      return open;
    }
    const panel = create();
    this.open.set(key, panel);
    const setActive = (active: boolean) => (this.active = active ? panel : this.active === panel ? undefined : this.active);
    setActive(true);
    const viewState = panel.panel.onDidChangeViewState((e) => setActive(e.webviewPanel.active));
    panel.panel.onDidDispose(() => {
      viewState.dispose();
      setActive(false);
      this.open.delete(key);
    });
    return panel;
  }

  all(): P[] {
    return [...this.open.values()];
  }
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
