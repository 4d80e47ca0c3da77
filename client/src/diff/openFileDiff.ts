import * as path from 'path';
import * as vscode from 'vscode';
import type { PlannedFileSummary, StoredChangeRecord } from '../../../server/src/protocol';
import { BlobRef, blobUri } from './blobDocuments';
import { diffTitle } from './diffTitle';

/**
 * Opens VS Code's own diff editor on one file of one repo. Each side is the file on disk now, or a
 * blob from a snapshot / change record (null: the file does not exist on that side, shown empty).
 * Title: "express/lib/utils.js (now ↔ snap_1a2b)" — the repo's name, then the file's whole path in
 * it, so six repos' index.js, and two utils.js in different folders of one repo, can be told apart
 * in the tabs — with "· added" (absent on the left), "· deleted" (absent on the right) or
 * "· binary" when that is so.
 */

export type DiffSide =
  /** The file as it is on disk now (empty if it is gone). */
  | { kind: 'disk' }
  /** A blob by id; null: absent on this side. `mode` 160000 marks a gitlink (its id is a commit). */
  | { kind: 'blob'; blob: string | null; mode?: string | null };

export interface FileDiff {
  /** Absolute repo path. */
  repo: string;
  /** Repo-relative path (the right side's, for a rename). */
  path: string;
  /** The left side's path, for a rename. */
  oldPath?: string;
  left: DiffSide;
  right: DiffSide;
  /** Short names of the two sides: "now", "snap_1a2b", "before", "step 2"… */
  leftLabel: string;
  rightLabel: string;
  binary?: boolean;
  /** The repo's name for people (its folder name, or its path in the workspace when names repeat); default: the folder name. */
  repoName?: string;
  /** A campaign step's diff: the right side is what the step left, and review comments attach to it. */
  review?: { campaign: string; step: number };
}

/** The two sides' names of a campaign step's diff: "baseline ↔ step 1", "step 1 ↔ step 2". */
export function stepSides(step: number): { leftLabel: string; rightLabel: string } {
  return { leftLabel: step === 1 ? 'baseline' : `step ${step - 1}`, rightLabel: `step ${step}` };
}

/** One change record's diff in its campaign step: the blobs before and after the step, review comments on the right side. */
export function stepFileDiff(r: StoredChangeRecord, campaign: string, step: number, repoName?: string): FileDiff {
  return {
    repo: r.repo,
    path: r.path,
    oldPath: r.oldPath,
    left: { kind: 'blob', blob: r.oldBlob, mode: r.oldMode },
    right: { kind: 'blob', blob: r.newBlob, mode: r.newMode },
    ...stepSides(step),
    binary: r.binary,
    ...(repoName === undefined ? {} : { repoName }),
    review: { campaign, step },
  };
}

/** A planned file's diff, as the preview panel and the undo's preview show it: the file on disk now ↔ what the plan writes (`to`: its target). */
export function plannedFileDiff(f: PlannedFileSummary, to: string): FileDiff {
  return {
    repo: f.repo,
    path: f.path,
    left: { kind: 'disk' },
    right: { kind: 'blob', blob: f.blob, mode: f.mode },
    leftLabel: 'now',
    rightLabel: to,
    binary: f.binary,
  };
}

export interface OpenedDiff {
  left: vscode.Uri;
  right: vscode.Uri;
  title: string;
}

export async function openFileDiff(diff: FileDiff, options: vscode.TextDocumentShowOptions = { preview: true }): Promise<OpenedDiff> {
  const leftPath = diff.oldPath ?? diff.path;
  const left = await sideUri(diff.repo, leftPath, diff.left, diff.leftLabel);
  const review = diff.review && { ...diff.review, repoName: diff.repoName ?? path.basename(diff.repo) };
  const right = await sideUri(diff.repo, diff.path, diff.right, diff.rightLabel, review);
  const title = diffTitle(diff, left.absent, right.absent);
  await vscode.commands.executeCommand('vscode.diff', left.uri, right.uri, title, options);
  return { left: left.uri, right: right.uri, title };
}

async function sideUri(repo: string, file: string, side: DiffSide, label: string, review?: BlobRef['review']): Promise<{ uri: vscode.Uri; absent: boolean }> {
  if (side.kind === 'disk') {
    const uri = vscode.Uri.file(path.join(repo, ...file.split('/')));
    try {
      await vscode.workspace.fs.stat(uri);
      return { uri, absent: false };
    } catch {
      return { uri: blobUri({ repo, path: file, blob: null, label }), absent: true };
    }
  }
  return { uri: blobUri({ repo, path: file, blob: side.blob, mode: side.mode, label, review }), absent: side.blob === null };
}
