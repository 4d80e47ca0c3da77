import { randomUUID } from 'crypto';
import {
  CancellationToken,
  Connection,
  ProgressToken,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageserver/node';
import { CancelToken, ProgressEvent, ProgressSink, progressWords } from '../engine/util/progress';
import { CodeContextProgressReport } from '../protocol';

/** What a long request hands to the engine: where to report, and whether the client gave up. */
export interface Work {
  progress: ProgressSink;
  cancel: CancelToken;
  /** Sends the `end` report; call once, also on failure. */
  done(message?: string): void;
}

/**
 * LSP work-done progress for the server's long requests. It uses the client's `workDoneToken`
 * when the request carries one, else creates a token (`window/workDoneProgress/create`) when the
 * client supports that, else reports nothing. Either way `$/cancelRequest` on the request and
 * `window/workDoneProgress/cancel` on the token both cancel the work.
 */
export class ProgressReporter {
  private readonly cancellers = new Map<ProgressToken, () => void>();
  private canCreate = false;

  constructor(private readonly connection: Connection) {}

  /** Call after `initialize`: the library registers its own cancel handler then, which this replaces. */
  install(clientCreatesTokens: boolean): void {
    this.canCreate = clientCreatesTokens;
    this.connection.onNotification(WorkDoneProgressCancelNotification.type, ({ token }) => this.cancellers.get(token)?.());
  }

  async begin(title: string, phases: readonly string[], clientToken: ProgressToken | undefined, request: CancellationToken): Promise<Work> {
    let cancelled = false;
    const cancel: CancelToken = {
      get cancelled() {
        return cancelled || request.isCancellationRequested;
      },
    };
    const token = clientToken ?? (await this.createToken());
    if (token === undefined) return { progress: () => undefined, cancel, done: () => undefined };

    this.cancellers.set(token, () => {
      cancelled = true;
    });
    this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'begin', title, cancellable: true, percentage: 0 });
    let percentage = 0;
    const progress = (e: ProgressEvent) => {
      const index = phases.indexOf(e.phase);
      if (index >= 0 && e.total > 0) {
        percentage = Math.max(percentage, Math.floor(((index + e.done / e.total) / phases.length) * 100));
      }
      const report: CodeContextProgressReport = {
        kind: 'report',
        message: progressWords(e),
        percentage,
        detail: { phase: e.phase, done: e.done, total: e.total, ...(e.repo ? { repo: e.repo } : {}) },
      };
      this.connection.sendProgress(WorkDoneProgress.type, token, report);
    };
    let ended = false;
    const done = (message?: string) => {
      if (ended) return;
      ended = true;
      this.cancellers.delete(token);
      this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'end', ...(message ? { message } : {}) });
    };
    return { progress, cancel, done };
  }

  private async createToken(): Promise<ProgressToken | undefined> {
    if (!this.canCreate) return undefined;
    const token = randomUUID();
    try {
      await this.connection.sendRequest(WorkDoneProgressCreateRequest.type, { token });
      return token;
    } catch {
      return undefined; // the client refused: the work goes on without progress
    }
  }
}
