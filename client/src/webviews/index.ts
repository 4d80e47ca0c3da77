import * as vscode from 'vscode';
import { CampaignListRequest } from '../../../server/src/protocol';
import { requireClient } from '../serverClient';
import { plural } from '../views/format';
import { EvidencePanel } from './evidencePanel';
import type { VerifyView } from './messages';
import { HistoryPanel } from './historyPanel';
import type { PanelHandle } from './panelHost';
import { PreviewPanel } from './previewPanel';
import { ReviewFocus } from '../review/focus';
import { ReviewedSteps } from './reviewed';
import { PreviewTarget, pickTarget, targetFromArg } from './target';
import { listScope } from '../scope';

export type { PanelHandle } from './panelHost';

/**
 * The webview panels (preview, history, evidence) and what their commands do; the commands
 * themselves are rows of the one table (commands/commandTable.ts):
 * - `previewRollback(arg)`: a `PreviewTarget`, an id, or a tree item; none: a quick pick;
 * - `showCampaignHistory(arg)`: a campaign id or name, or a tree item; none: a quick pick;
 * - the panels' toolbars: `previousStep` / `nextStep` (history), `refreshPreview`, `verifyEvidence`;
 * - `showEvidence(rollback)`: what `codecontext.openEvidence` opens.
 * Both open commands resolve to the panel's `PanelHandle` (undefined when the pick was dismissed): the
 * e2e tests drive the page through it. An open panel for the same target is revealed, not duplicated.
 */
export class Panels implements vscode.Disposable {
  private readonly previews = new OpenPanels<PreviewPanel>();
  private readonly histories = new OpenPanels<HistoryPanel>();
  private readonly evidence = new OpenPanels<EvidencePanel>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly reviewed: ReviewedSteps,
    private readonly focus: ReviewFocus,
  ) {}

  async previewRollback(arg?: unknown): Promise<PanelHandle | undefined> {
    const target: PreviewTarget | undefined = targetFromArg(arg) ?? (await pickTarget());
    if (!target) return undefined;
    return this.previews.show(
      PreviewPanel.keyOf(target),
      () => PreviewPanel.create(this.context.extensionUri, target),
      (open) => (target.remotes ? open.chooseAllRemotes() : open.revealed()),
    );
  }

  async showCampaignHistory(arg?: unknown): Promise<PanelHandle | undefined> {
    const id = campaignFromArg(arg) ?? (await pickCampaign());
    if (!id) return undefined;
    return this.histories.show(id, () => HistoryPanel.create(this.context.extensionUri, id, this.reviewed, this.focus));
  }

  /** The active history panel's step before (`delta` -1) or after (+1) the one it shows. */
  historyStep(delta: number): Promise<void> | undefined {
    const active = this.histories.active;
    return active?.show(active.currentStep + delta);
  }

  refreshPreview(): Promise<void> | undefined {
    return this.previews.active?.refresh();
  }

  showEvidence(rollback: string): EvidencePanel {
    return this.evidence.show(rollback, () => EvidencePanel.create(this.context.extensionUri, rollback));
  }

  verifyEvidence(): Promise<VerifyView> | undefined {
    return this.evidence.active?.verify();
  }

  dispose(): void {
    for (const p of [...this.previews.all(), ...this.histories.all(), ...this.evidence.all()]) p.dispose();
  }
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
  const { campaigns } = await requireClient().sendRequest(CampaignListRequest, listScope());
  if (campaigns.length === 0) {
    void vscode.window.showInformationMessage('CodeContext: no campaigns yet. Start one with "CodeContext: Start Campaign".');
    return undefined;
  }
  if (campaigns.length === 1) return campaigns[0].id;
  const picked = await vscode.window.showQuickPick(
    campaigns.map((c) => ({
      label: c.name,
      description: c.id,
      detail: `${plural(c.stepCount, 'step')} · ${plural(c.repoCount, 'repo')} · ${c.status}`,
      id: c.id,
    })),
    { title: 'Campaign History', placeHolder: 'Which campaign?' },
  );
  return picked?.id;
}
