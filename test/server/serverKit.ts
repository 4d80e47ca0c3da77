import { ChildProcess, fork, spawn } from 'child_process';
import * as path from 'path';
import {
  CancellationTokenSource,
  IPCMessageReader,
  IPCMessageWriter,
  MessageConnection,
  NotificationType,
  ProgressToken,
  RequestType,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import {
  CodeContextSettings,
  DidChangeNotification,
  DidChangeParams,
  ErrorData,
  RecoveredNotification,
  RecoveredParams,
  StoreKind,
} from '../../server/src/protocol';
import { RepoKit, TestRepo, gitEnv } from '../helpers/repoKit';

/**
 * The one way server tests start the real server process (`dist/server.js`) and speak to it over
 * JSON-RPC, as VS Code would: initialize with workspace folders and a private store, answer the
 * server's own requests (progress tokens, settings), and record what it sends unasked.
 */

const serverJs = path.resolve(__dirname, '../../../dist/server.js');

export interface StartOptions {
  folders: string[];
  store: string;
  /** Extra environment for the server process. */
  env?: NodeJS.ProcessEnv;
  transport?: 'stdio' | 'ipc';
  /** Answered to `workspace/configuration`; without it the client does not offer settings. */
  settings?: CodeContextSettings;
  /** Automatic checkpoints (`initializationOptions.autoCheckpoint`): off unless a test is about them. */
  autoCheckpoint?: boolean;
  /** Whether the client lets the server create progress tokens (`window.workDoneProgress`). */
  serverProgress?: boolean;
}

/** A `$/progress` value as sent: begin, report (with `detail`) or end. */
export interface ProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
  detail?: { phase: string; done: number; total: number; repo?: string };
}

export class TestServer {
  /** Every `$/progress` value per token, in arrival order. */
  readonly progress = new Map<ProgressToken, ProgressValue[]>();
  /** Tokens the server created with `window/workDoneProgress/create`. */
  readonly createdTokens: ProgressToken[] = [];
  readonly changes: DidChangeParams[] = [];
  /** `codecontext/recovered` notifications; the server sends them before it answers any request. */
  readonly recovered: RecoveredParams[] = [];
  readonly log: string[] = [];
  private progressListeners: ((token: ProgressToken, value: ProgressValue) => void)[] = [];
  private changeListeners: ((p: DidChangeParams) => void)[] = [];
  private logListeners: ((message: string) => void)[] = [];
  private exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly rpc: MessageConnection,
    readonly options: StartOptions,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    rpc.onNotification('$/progress', (p: { token: ProgressToken; value: ProgressValue }) => {
      const list = this.progress.get(p.token) ?? [];
      list.push(p.value);
      this.progress.set(p.token, list);
      for (const l of this.progressListeners) l(p.token, p.value);
    });
    rpc.onNotification(DidChangeNotification.method, (p: DidChangeParams) => {
      this.changes.push(p);
      for (const l of this.changeListeners) l(p);
    });
    rpc.onNotification(RecoveredNotification.method, (p: RecoveredParams) => {
      this.recovered.push(p);
    });
    rpc.onNotification('window/logMessage', (p: { message: string }) => {
      this.log.push(p.message);
      for (const l of this.logListeners) l(p.message);
    });
    rpc.onRequest('window/workDoneProgress/create', (p: { token: ProgressToken }) => {
      this.createdTokens.push(p.token);
      return null;
    });
    rpc.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => options.settings ?? {}));
    rpc.onRequest('client/registerCapability', () => null);
  }

  static async start(options: StartOptions): Promise<TestServer> {
    const env = { ...gitEnv, CODECONTEXT_HOME: options.store, ...options.env };
    let child: ChildProcess;
    let rpc: MessageConnection;
    if (options.transport === 'ipc') {
      child = fork(serverJs, ['--node-ipc'], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      rpc = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    } else {
      child = spawn(process.execPath, [serverJs, '--stdio'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
      rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    }
    const server = new TestServer(child, rpc, options);
    rpc.listen();
    await rpc.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: options.folders.map((f) => ({ uri: `file://${f}`, name: path.basename(f) })),
      initializationOptions: { storePath: options.store, autoCheckpoint: options.autoCheckpoint ?? false },
      capabilities: {
        window: { workDoneProgress: options.serverProgress ?? false },
        workspace: { workspaceFolders: true, configuration: options.settings !== undefined },
      },
    });
    await rpc.sendNotification('initialized', {});
    return server;
  }

  // By method name: the library's typed overloads do not resolve for generic P and R.
  request<P, R>(type: RequestType<P, R, ErrorData>, params: P, cancel?: CancellationTokenSource): Promise<R> {
    return cancel ? this.rpc.sendRequest(type.method, params, cancel.token) : this.rpc.sendRequest(type.method, params);
  }

  notify<P>(type: NotificationType<P>, params: P): Promise<void> {
    return this.rpc.sendNotification(type.method, params);
  }

  /** The ResponseError a request fails with; fails the test when it succeeds. */
  async error<P, R>(type: RequestType<P, R, ErrorData> | string, params: unknown): Promise<ResponseError<ErrorData>> {
    try {
      const result = await this.rpc.sendRequest(typeof type === 'string' ? type : type.method, params);
      throw new Error(`expected ${typeof type === 'string' ? type : type.method} to fail, it answered ${JSON.stringify(result).slice(0, 200)}`);
    } catch (e) {
      if (e instanceof ResponseError) return e as ResponseError<ErrorData>;
      throw e;
    }
  }

  /** Resolves at the first `codecontext/didChange` naming `kind` from now on; rejects after `ms`. */
  nextChange(kind: StoreKind, ms = 2000): Promise<DidChangeParams> {
    return this.waitFor(this.changeListeners, (p) => p.kinds.includes(kind), ms, `no didChange with ${kind} within ${ms} ms`);
  }

  /** Resolves at the first log message (`window/logMessage`) matching `re`, logged already or from now on; rejects after `ms`. */
  nextLog(re: RegExp, ms = 20000): Promise<string> {
    const seen = this.log.find((m) => re.test(m));
    if (seen !== undefined) return Promise.resolve(seen);
    return this.waitFor(this.logListeners, (m) => re.test(m), ms, `no log message matching ${re} within ${ms} ms`);
  }

  /** Resolves at the first progress value matching `match` from now on (the token is passed along). */
  nextProgress(match: (token: ProgressToken, value: ProgressValue) => boolean, ms = 20000): Promise<ProgressToken> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching progress within ${ms} ms`)), ms);
      const listener = (token: ProgressToken, value: ProgressValue) => {
        if (!match(token, value)) return;
        clearTimeout(timer);
        this.progressListeners = this.progressListeners.filter((l) => l !== listener);
        resolve(token);
      };
      this.progressListeners.push(listener);
    });
  }

  private waitFor<T>(listeners: ((v: T) => void)[], match: (v: T) => boolean, ms: number, why: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        remove();
        reject(new Error(why));
      }, ms);
      const listener = (v: T) => {
        if (!match(v)) return;
        clearTimeout(timer);
        remove();
        resolve(v);
      };
      const remove = () => listeners.splice(listeners.indexOf(listener), 1);
      listeners.push(listener);
    });
  }

  /** Whether the process is still running (it must survive every bad request). */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** shutdown + exit as a client does; kills the process if it does not go. */
  async stop(): Promise<void> {
    if (this.alive) {
      try {
        await this.rpc.sendRequest('shutdown');
        await this.rpc.sendNotification('exit');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => this.child.kill(), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    this.rpc.dispose();
  }
}

export interface Fixture {
  kit: RepoKit;
  /** The private store of this test (also $CODECONTEXT_HOME of the server and of `runCli`). */
  store: string;
  root: string;
  repos: TestRepo[];
  server: TestServer;
}

/**
 * Registers mocha hooks that give every test of the suite fresh repos (made by `make`), a private
 * store and a started server, and stop and remove them all afterwards. Read the fields inside tests.
 */
export function serverFixture(
  make: (kit: RepoKit) => { root: string; repos: TestRepo[] },
  options: Partial<StartOptions> | ((f: Fixture) => Partial<StartOptions>) = {},
): Fixture {
  const f = {} as Fixture;
  beforeEach(async () => {
    f.kit = new RepoKit();
    f.store = f.kit.tempDir('cc-store-');
    Object.assign(f, make(f.kit));
    f.server = await TestServer.start({ folders: [f.root], store: f.store, ...(typeof options === 'function' ? options(f) : options) });
  });
  afterEach(async () => {
    await f.server?.stop();
    f.kit.cleanup();
  });
  return f;
}

/** A campaign command (no shell) that writes `content` to `rel` in the repo it runs in. */
export function writeFileCommand(rel: string, content: string): string[] {
  const script = "const fs=require('fs'),p=require('path');const [f,c]=process.argv.slice(1);fs.mkdirSync(p.dirname(f),{recursive:true});fs.writeFileSync(f,c)";
  return [process.execPath, '-e', script, rel, content];
}

/**
 * A campaign command that waits until `gate` exists, so a test can hold a run in flight and act
 * while it runs, then let it go by creating the file. Waiting is the command's business, not the test's.
 */
export function gatedCommand(gate: string): string[] {
  const script = "const fs=require('fs');const g=process.argv[1];const t=setInterval(()=>{if(fs.existsSync(g))clearInterval(t)},10)";
  return [process.execPath, '-e', script, gate];
}
