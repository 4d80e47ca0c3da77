import * as vscode from 'vscode';
import { BlobRequest } from '../../../server/src/protocol';
import { requireClient } from '../serverClient';

/**
 * Read-only documents holding a git blob's bytes, served by the server (`codecontext/blob`), for the
 * diff editor. A URI names everything needed to fetch it again, so a reload reopens it:
 * `codecontext:/<label>/<path>?repo=<abs repo>&blob=<id>&mode=<git mode>`. No `blob`: the file is
 * absent on that side (an empty document). Blobs never change, so a URI's content never does.
 */
export const scheme = 'codecontext';

export interface BlobRef {
  repo: string;
  path: string;
  /** null: the file does not exist on this side. */
  blob: string | null;
  mode?: string | null;
  /** The first path segment, so two sides of one file get different URIs (a snapshot id, "before"…). */
  label: string;
  /** The campaign step this side shows the result of: review comments attach to such a document. */
  review?: { campaign: string; step: number; repoName: string };
}

export function blobUri(ref: BlobRef): vscode.Uri {
  const query = new URLSearchParams({ repo: ref.repo });
  if (ref.blob) query.set('blob', ref.blob);
  if (ref.mode) query.set('mode', ref.mode);
  if (ref.review) {
    query.set('campaign', ref.review.campaign);
    query.set('step', String(ref.review.step));
    query.set('file', ref.path);
  }
  const safeLabel = ref.label.replace(/[/\\]/g, '_') || '_';
  // a reviewed side names its repo in the path too: the Comments panel lists documents by path
  const repoPart = ref.review ? `${ref.review.repoName.replace(/[/\\]/g, '_')}/` : '';
  return vscode.Uri.from({ scheme, path: `/${safeLabel}/${repoPart}${ref.path}`, query: query.toString() });
}

export function parseBlobUri(uri: vscode.Uri): { repo: string; blob: string | null; mode: string | null } {
  const query = new URLSearchParams(uri.query);
  return { repo: query.get('repo') ?? '', blob: query.get('blob'), mode: query.get('mode') };
}

/** The review a document belongs to (see `BlobRef.review`), with the file's repo and path; undefined for any other. */
export function reviewOfUri(uri: vscode.Uri): { campaign: string; step: number; repo: string; path: string } | undefined {
  if (uri.scheme !== scheme) return undefined;
  const query = new URLSearchParams(uri.query);
  const campaign = query.get('campaign');
  const step = Number(query.get('step'));
  const repo = query.get('repo');
  const file = query.get('file');
  if (!campaign || !repo || !file || !Number.isInteger(step) || step < 1) return undefined;
  return { campaign, step, repo, path: file };
}

/** What a binary blob shows as instead of its bytes. */
export function binaryPlaceholder(size: number, blob: string): string {
  return `Binary file, ${formatBytes(size)} (blob ${blob.slice(0, 10)}): not shown as text.\n`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

class BlobDocumentProvider implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const { repo, blob, mode } = parseBlobUri(uri);
    if (!blob) return '';
    // a gitlink's "blob" is the embedded repo's commit: shown as git shows it
    if (mode === '160000') return `Subproject commit ${blob}\n`;
    const result = await requireClient().sendRequest(BlobRequest, { repo, blob }, token);
    if (result.binary) return binaryPlaceholder(result.size, blob);
    return Buffer.from(result.base64, 'base64').toString('utf8');
  }
}

/** Registers the `codecontext:` document provider. */
export function registerBlobDocuments(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(scheme, new BlobDocumentProvider());
}
