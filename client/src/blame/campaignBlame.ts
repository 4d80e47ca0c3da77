import * as path from 'path';
import * as vscode from 'vscode';
import {
  CampaignChangesRequest,
  CampaignCommentsRequest,
  CampaignDetailRequest,
  CampaignDiffRequest,
  CampaignListRequest,
  ReviewComment,
} from '../../../server/src/protocol';
import { getClient, onDidChangeStore } from '../serverClient';
import { listScope } from '../scope';

/** One step of a campaign that changed the file, and the lines it left (their text, as the step wrote them). */
export interface BlameStep {
  campaign: string;
  campaignName: string;
  step: number;
  /** The repo (absolute path) and the file's path in it, as the campaign's records name it. */
  repo: string;
  path: string;
  command?: string;
  message?: string;
  lines: Set<string>;
  comments: ReviewComment[];
}

/** A line of the editor a campaign's step wrote: what the gutter marks and the hover tells. */
export interface BlamedLine {
  line: number;
  campaign: string;
  campaignName: string;
  step: number;
}

/**
 * Campaign blame (issue 25, item 14): in an editor on a file a campaign changed, each line a step
 * wrote carries a subtle end-of-line mark, and its hover says the campaign, the step, its command and
 * the review comments on that file, with "Open Step in History" and "Revert This Step in This
 * File…": a preview of that step's inverse alone (replay), limited to this file. A line is the
 * step's while it holds the text the step wrote, so the marks follow edits without asking the
 * server again; a file no campaign touched costs the list requests only.
 * Setting: `codecontext.campaignBlame.enabled`.
 */
export class CampaignBlame implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  /** Per file path: the steps that changed it, newest first (a promise while it is asked). */
  private readonly steps = new Map<string, Promise<BlameStep[]>>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly shown = new Map<string, BlamedLine[]>();
  /** Per file, each marked line's hover (tests read its actions, as a click would run them). */
  private readonly hovers = new Map<string, Map<number, vscode.MarkdownString>>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with a file's path once its marks are drawn (tests wait for it). */
  readonly onDidDraw = this.changed.event;

  constructor() {
    this.subscriptions.push(
      this.decoration,
      this.changed,
      vscode.window.onDidChangeActiveTextEditor(() => void this.draw()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) void this.draw();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('codecontext.campaignBlame.enabled')) void this.draw();
      }),
      onDidChangeStore(({ kinds }) => {
        if (kinds.includes('campaigns')) {
          this.steps.clear();
          void this.draw();
        }
      }),
    );
    void this.draw();
  }

  /** The lines of `file` the marks show now (tests read them). */
  blamed(file: string): BlamedLine[] {
    return this.shown.get(file) ?? [];
  }

  /** The hover of a marked line (0-based), as drawn. */
  hover(file: string, line: number): vscode.MarkdownString | undefined {
    return this.hovers.get(file)?.get(line);
  }

  private async draw(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.uri.scheme !== 'file') return;
    const file = editor.document.uri.fsPath;
    const enabled = vscode.workspace.getConfiguration('codecontext').get<boolean>('campaignBlame.enabled', true);
    const steps = enabled ? await this.stepsOf(file).catch(() => []) : [];
    if (vscode.window.activeTextEditor !== editor) return;
    const doc = editor.document;
    const options: vscode.DecorationOptions[] = [];
    const lines: BlamedLine[] = [];
    const hovers = new Map<number, vscode.MarkdownString>();
    for (let i = 0; i < doc.lineCount && steps.length; i++) {
      const text = doc.lineAt(i).text;
      if (!text.trim()) continue;
      // the newest step that wrote this text
      const s = steps.find((x) => x.lines.has(text));
      if (!s) continue;
      lines.push({ line: i, campaign: s.campaign, campaignName: s.campaignName, step: s.step });
      hovers.set(i, hoverOf(s, file));
      options.push({
        // the whole line: its hover is there wherever the pointer is on it, the mark after its end
        range: doc.lineAt(i).range,
        renderOptions: { after: { contentText: `${s.campaignName} · step ${s.step}` } },
        hoverMessage: hovers.get(i),
      });
    }
    editor.setDecorations(this.decoration, options);
    this.shown.set(file, lines);
    this.hovers.set(file, hovers);
    this.changed.fire(file);
  }

  private stepsOf(file: string): Promise<BlameStep[]> {
    let found = this.steps.get(file);
    if (!found) {
      found = this.ask(file);
      this.steps.set(file, found);
      found.catch(() => this.steps.delete(file));
    }
    return found;
  }

  /** The steps of the window's campaigns that changed `file`, newest first, with the lines each wrote. */
  private async ask(file: string): Promise<BlameStep[]> {
    const client = getClient();
    // not running yet: nothing known (not remembered: the server's start redraws)
    if (!client) throw new Error('the server is not running');
    const out: BlameStep[] = [];
    for (const summary of (await client.sendRequest(CampaignListRequest, listScope())).campaigns) {
      const campaign = await client.sendRequest(CampaignDetailRequest, { id: summary.id });
      const repo = campaign.repos.find((r) => file.startsWith(r + path.sep));
      if (!repo) continue;
      const rel = path.relative(repo, file).split(path.sep).join('/');
      const records = await client.sendRequest(CampaignChangesRequest, { campaign: campaign.id, repo, limit: 1000 });
      const touched = [...new Set(records.items.filter((r) => r.path === rel && r.kind !== 'deleted').map((r) => r.step))];
      if (!touched.length) continue;
      const { comments } = await client.sendRequest(CampaignCommentsRequest, { campaign: campaign.id });
      for (const n of touched) {
        const { diff } = await client.sendRequest(CampaignDiffRequest, { campaign: campaign.id, step: n, repo, path: rel });
        const lines = new Set(
          diff
            .split('\n')
            .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
            .map((l) => l.slice(1)),
        );
        const step = campaign.steps[n - 1];
        out.push({
          campaign: campaign.id,
          campaignName: campaign.name,
          step: n,
          repo,
          path: rel,
          ...(step?.command ? { command: step.command.join(' ') } : {}),
          ...(step?.message ? { message: step.message } : {}),
          lines,
          comments: comments.filter((c) => c.step === n && c.repo === repo && (!c.path || c.path === rel)),
        });
      }
    }
    return out.sort((a, b) => (b.campaign === a.campaign ? b.step - a.step : 0));
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

function hoverOf(s: BlameStep, file: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['codecontext.showCampaignHistory', 'codecontext.previewRollback'] };
  md.appendMarkdown(`$(history) **${escape(s.campaignName)}**, step ${s.step}`);
  if (s.message) md.appendMarkdown(`: ${escape(s.message)}`);
  md.appendMarkdown('\n\n');
  if (s.command) md.appendMarkdown(`Command: \`${s.command.replace(/`/g, "'")}\`\n\n`);
  for (const c of s.comments) md.appendMarkdown(`$(comment) ${escape(c.body)}${c.line ? ` (line ${c.line})` : ''}\n\n`);
  const args = (a: object) => encodeURIComponent(JSON.stringify([a]));
  // the preview of step N's inverse alone (replay, over the later steps and the user's edits), limited to this one file
  const only = { campaign: s.campaign, onlyStep: s.step, file: { repo: s.repo, path: s.path } };
  md.appendMarkdown(
    `[Open Step in History](command:codecontext.showCampaignHistory?${args({ campaign: s.campaign, step: s.step })}) · ` +
      `[Revert This Step in This File…](command:codecontext.previewRollback?${args(only)} ` +
      `"Preview undoing step ${s.step} in ${path.basename(file)} alone: the later steps, your edits and every other file stay as they are")`,
  );
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
