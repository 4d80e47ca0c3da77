import * as vscode from 'vscode';
import { RollbackPlanFilesRequest, maxPageSize } from '../../../server/src/protocol';
import type { PlannedFileSummary, RollbackRecord, RollbackUndoPreview } from '../../../server/src/protocol';
import { openFileDiff, plannedFileDiff } from '../diff/openFileDiff';
import { describeError } from '../output';
import { requireClient } from '../serverClient';
import { lines, plural, rollbackTitle, shortId } from '../views/format';
import { repoNamer } from '../webviews/repoNames';

/** As many files as the preview panel lists. */
const maxFilesShown = 20_000;

export const yourEditWords = '⚠ your edit, will be lost';
export const goesBackWords = 'goes back';

interface FileItem extends vscode.QuickPickItem {
  file: PlannedFileSummary;
}

/** The pick's rows: the user's edits first, then the rest in the plan's order. */
function undoFileItems(files: readonly PlannedFileSummary[], preview: Pick<RollbackUndoPreview, 'edited'>): FileItem[] {
  const edited = new Set(preview.edited.flatMap((e) => e.files.map((f) => JSON.stringify([e.repo, f]))));
  const name = repoNamer([...new Set(files.map((f) => f.repo))]);
  const rows = files.map((file) => {
    const mine = edited.has(JSON.stringify([file.repo, file.path]));
    const change = file.change === 'restore' ? '' : ` (${file.change === 'remove' ? 'removed' : file.change === 'recreate' ? 'recreated' : file.change})`;
    return {
      mine,
      item: {
        label: file.path,
        description: `${name(file.repo)} · ${file.binary ? 'binary' : lines(file.added, file.removed)}`,
        detail: mine ? yourEditWords : `${goesBackWords}${change}`,
        file,
      },
    };
  });
  return [...rows.filter((r) => r.mine), ...rows.filter((r) => !r.mine)].map((r) => r.item);
}

/**
 * "Preview Undo…" of the undo confirmation: the undo's files in a quick pick, each saying whether it goes
 * back to how it was before the rollback or is the user's edit, lost if overwritten, with its repo and
 * line counts. Picking one opens VS Code's diff editor on it as the preview panel does (the file now ↔
 * what the undo writes), the pick staying open to pick another. Resolves when the pick closes.
 */
export async function pickUndoFiles(record: RollbackRecord, preview: RollbackUndoPreview): Promise<void> {
  const client = requireClient();
  const files: PlannedFileSummary[] = [];
  for (let offset = 0; offset < Math.min(preview.files, maxFilesShown);) {
    const page = await client.sendRequest(RollbackPlanFilesRequest, { plan: preview.plan, offset, limit: maxPageSize });
    if (page.items.length === 0) break;
    files.push(...page.items);
    offset += page.items.length;
  }
  const to = record.safetySnapshot ? shortId(record.safetySnapshot) : 'before';
  const mine = preview.edited.reduce((n, e) => n + e.files.length, 0);
  const pick = vscode.window.createQuickPick<FileItem>();
  const yours = mine === 0 ? '' : mine === 1 ? ', ⚠ 1 is your edit' : `, ⚠ ${mine} are your edits`;
  pick.title = `Undo "${rollbackTitle(record)}": ${plural(preview.files, 'file')} in ${plural(preview.reposChanged, 'repo')}${yours}`;
  pick.placeholder = 'Pick a file to see its diff (now ↔ after the undo); Escape goes back to the choice';
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true; // the diff editor opening must not close it
  pick.items = undoFileItems(files, preview);
  return new Promise((resolve) => {
    const listening = [
      pick.onDidAccept(() => {
        const picked = pick.selectedItems[0];
        if (!picked) return;
        openFileDiff(plannedFileDiff(picked.file, to), { preview: true, preserveFocus: true }).catch(
          (e) => void vscode.window.showErrorMessage(`CodeContext: the diff of ${picked.file.path} could not open: ${describeError(e)}`),
        );
      }),
      pick.onDidHide(() => {
        listening.forEach((d) => d.dispose());
        pick.dispose();
        resolve();
      }),
    ];
    pick.show();
  });
}
