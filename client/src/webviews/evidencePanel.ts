import * as vscode from 'vscode';
import { EvidenceCheck, EvidenceReportRequest, EvidenceReportResult, EvidenceVerifyRequest } from '../../../server/src/protocol';
import { describeError } from '../output';
import { requireClient } from '../serverClient';
import { repoName, shortId } from '../views/format';
import { createPanel } from './html';
import type { EvidenceFromWebview, EvidenceToWebview, VerifyView } from './messages';
import { PanelHost } from './panelHost';
import { whenServerRunning } from './serverWork';

/**
 * The "Evidence" panel: a rollback's evidence pack as the report the server renders (the same body as
 * the standalone `evidence-rb_<id>.html` beside the pack), with Verify (the check of `codecontext
 * evidence verify --repos`, through the server), the raw JSON read-only, and the page's path to copy
 * for an incident ticket. One panel per rollback.
 */
export class EvidencePanel extends PanelHost<EvidenceToWebview, EvidenceFromWebview> {
  static readonly viewType = 'codecontext.evidence';
  private report?: EvidenceReportResult;
  private lastCheck?: VerifyView;

  static create(extensionUri: vscode.Uri, rollback: string): EvidencePanel {
    const title = `Evidence: ${shortId(rollback)}`;
    const panel = createPanel(extensionUri, EvidencePanel.viewType, 'evidence', title);
    return new EvidencePanel(panel, rollback);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    readonly rollback: string,
  ) {
    super(panel);
  }

  /** The pack's file, once loaded. */
  get file(): string | undefined {
    return this.report?.file;
  }

  /** The last verify result shown, for the tests. */
  get verified(): VerifyView | undefined {
    return this.lastCheck;
  }

  protected async handle(m: EvidenceFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.load();
      case 'verify':
        await this.verify();
        return;
      case 'openJson':
        return this.openJson();
      case 'copyReportPath':
        if (!this.report?.reportFile) return;
        await vscode.env.clipboard.writeText(this.report.reportFile);
        vscode.window.setStatusBarMessage(`$(copy) Copied ${this.report.reportFile}`, 4000);
        return;
      case 'rendered':
        return;
    }
  }

  protected onHandlerError(e: unknown): void {
    this.post({ type: 'error', message: describeError(e) });
  }

  private async load(): Promise<void> {
    await whenServerRunning();
    const report = await requireClient().sendRequest(EvidenceReportRequest, { rollback: this.rollback });
    this.report = report;
    this.panel.title = `Evidence: ${report.title}`;
    this.post({ type: 'report', id: this.rollback, title: report.title, html: report.html, hasReportFile: !!report.reportFile });
  }

  /** The same check as `codecontext evidence verify <rb> --repos`: digest, patch, page, signature, and every repo's end state. */
  async verify(): Promise<VerifyView> {
    this.post({ type: 'verifying' });
    const result = await checkEvidence(this.rollback);
    this.lastCheck = result;
    this.post({ type: 'verified', result });
    return result;
  }

  /** The pack as written, read-only: an edited pack no longer verifies, so the editor does not invite it. */
  private async openJson(): Promise<void> {
    if (!this.report) return;
    await vscode.window.showTextDocument(vscode.Uri.file(this.report.file), { preview: true, viewColumn: vscode.ViewColumn.Beside });
    await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
  }
}

/**
 * The one evidence check of the client (the panel's Verify and the "Verify Evidence Pack" command):
 * `codecontext evidence verify <rb> --repos` through the server, as a view.
 */
export async function checkEvidence(rollback: string): Promise<VerifyView> {
  return verifyView(await requireClient().sendRequest(EvidenceVerifyRequest, { rollback, repos: true }));
}

/** Every problem in one list: the pack's, then each repo not in its recorded end state. */
export function allProblems(v: VerifyView): string[] {
  return [...v.problems, ...v.repos.filter((r) => !r.ok).map((r) => `${r.name}: ${r.problem ?? 'differs'}`)];
}

function verifyView(check: EvidenceCheck): VerifyView {
  const s = check.signature;
  return {
    ok: check.ok,
    problems: check.problems,
    signature:
      s.state === 'good'
        ? `signed by ${s.signer}`
        : s.state === 'unsigned'
          ? 'unsigned: no signing key was configured when it was written'
          : `signature BAD${s.signer ? ` (claims ${s.signer})` : ''}`,
    repos: (check.repos ?? []).map((r) => ({ name: repoName(r.path), ok: r.ok, problem: r.problem })),
  };
}
