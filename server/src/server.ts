/**
 * The language-server process: the engine over JSON-RPC for every repo of the workspace. It wires
 * the requests of protocol.ts to the engine, reports progress, honours cancellation, and tells the
 * client when the store changes, whoever changed it. Transport from argv: --stdio or --node-ipc.
 */
import {
  DidChangeConfigurationNotification,
  DidChangeWorkspaceFoldersNotification,
  IPCMessageReader,
  IPCMessageWriter,
  InitializeResult,
  MessageReader,
  MessageWriter,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentSyncKind,
  createConnection,
} from 'vscode-languageserver/node';
import { setGitLogger } from './engine/git/gitRunner';
import { recoverAll } from './engine/rollback/tx/recover';
import { toolVersion } from './engine/util/version';
import { RepoLocks } from './lsp/busy';
import { FramingGuard } from './lsp/framingGuard';
import { registerCampaignHandlers } from './lsp/campaignHandlers';
import { registerContentHandlers } from './lsp/contentHandlers';
import { forgetPlans, registerRollbackHandlers } from './lsp/rollbackHandlers';
import { ProgressReporter } from './lsp/progress';
import { resolvedAll } from './lsp/params';
import { Services, handle } from './lsp/services';
import { registerSnapshotHandlers } from './lsp/snapshotHandlers';
import { AutoCheckpoints } from './lsp/autoCheckpoints';
import { StoreWatcher } from './lsp/storeWatcher';
import { RepoWatcher } from './lsp/repoWatcher';
import { Workspace } from './lsp/workspace';
import {
  DidChangeNotification,
  InitializationOptions,
  RecoveredNotification,
  ReposChangedNotification,
  ReposListParams,
  ReposListRequest,
  ReposWatchParams,
  ReposWatchRequest,
} from './protocol';

/**
 * The transport, made here rather than by createConnection so its reader's errors are ours: after
 * one malformed header (a bad Content-Length) the stream cannot be resynchronised, and a server
 * that stays up reading garbage answers nothing, for good. It exits instead; the client restarts it.
 */
function transport(): [MessageReader, MessageWriter] | undefined {
  // the guard fails the reader where it would wait for good: a message past 64 MB, a header without end
  if (process.argv.includes('--stdio')) return [new StreamMessageReader(process.stdin.pipe(new FramingGuard())), new StreamMessageWriter(process.stdout)];
  if (process.argv.includes('--node-ipc')) return [new IPCMessageReader(process), new IPCMessageWriter(process)];
  return undefined;
}
const channel = transport();
channel?.[0].onError((e) => {
  process.stderr.write(`codecontext server: an unreadable message arrived (${e.message.split('\n')[0]}); exiting so the client can restart it\n`);
  process.exit(3);
});
const connection = channel ? createConnection(ProposedFeatures.all, channel[0], channel[1]) : createConnection(ProposedFeatures.all);
const verbose = process.argv.includes('--verbose') || process.env.CODECONTEXT_VERBOSE === '1';

let workspace = new Workspace();
let watcher: StoreWatcher | undefined;
let clientHasConfiguration = false;
let markReady: () => void = () => undefined;

const services: Services = {
  connection,
  get workspace() {
    return workspace;
  },
  locks: new RepoLocks(),
  ready: new Promise<void>((resolve) => (markReady = resolve)),
  progress: new ProgressReporter(connection),
  log: (line) => {
    if (verbose) connection.console.log(line);
  },
};
if (verbose) setGitLogger((line) => connection.console.log(line));

connection.onInitialize((params): InitializeResult => {
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  workspace = new Workspace(
    typeof options.storePath === 'string' && options.storePath ? options.storePath : undefined,
    typeof options.autoCheckpoint === 'boolean' ? options.autoCheckpoint : undefined,
  );
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : params.rootPath ? [params.rootPath] : []);
  workspace.setFolders(folders);
  clientHasConfiguration = params.capabilities.workspace?.configuration === true;
  services.progress.install(params.capabilities.window?.workDoneProgress === true);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.None,
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'codecontext', version: toolVersion },
  };
});

connection.onInitialized(async () => {
  // Registered here, after the library's own handler of the same notification: ours replaces it.
  connection.onNotification(DidChangeWorkspaceFoldersNotification.type, ({ event }) => {
    workspace.changeFolders(
      event.added.map((f) => f.uri),
      event.removed.map((f) => f.uri),
    );
    void workspace.repos().catch(() => undefined);
    void updateAutoCheckpoints();
  });
  try {
    if (clientHasConfiguration) {
      await connection.client.register(DidChangeConfigurationNotification.type, { section: 'codecontext' }).catch(() => undefined);
    }
    await readSettings();
    await watchStore();
    await recoverAtStart();
    void updateAutoCheckpoints();
  } finally {
    markReady();
  }
  // discovery starts now, so the first listing answers from memory
  void workspace.repos().catch((e) => connection.console.warn(`repo discovery failed: ${(e as Error).message}`));
});

connection.onDidChangeConfiguration(async () => {
  if (await readSettings()) await watchStore();
  void updateAutoCheckpoints();
});

const autoCheckpoints = new AutoCheckpoints((message) => connection.console.info(message));
/** The watchers of the active campaigns, as the settings, the folders and the store now say. */
function updateAutoCheckpoints(): Promise<void> {
  const s = workspace.settings;
  return autoCheckpoints.update({ store: workspace.store(), parallelism: s.parallelism }, workspace.roots, s.autoCheckpoint, s.autoCheckpointDebounceMs);
}

/** Reads the `codecontext` settings; says whether the store moved. */
async function readSettings(): Promise<boolean> {
  if (!clientHasConfiguration) return false;
  try {
    const settings = await connection.workspace.getConfiguration('codecontext');
    return workspace.applySettings(settings).storeChanged;
  } catch (e) {
    connection.console.warn(`cannot read settings: ${(e as Error).message}`);
    return false;
  }
}

/**
 * Brings back to one side every transaction a crash left unfinished (as `codecontext recover`),
 * before any request runs, and tells the client what was done. Only where every repo holds
 * nothing but what the journal knows: a transaction whose repos were edited since is left for the
 * user to confirm (`needs-confirmation`), since recovering it changes what a person is working on.
 */
async function recoverAtStart(): Promise<void> {
  try {
    const reports = await recoverAll({ store: workspace.store(), parallelism: workspace.settings.parallelism }, { onlyIfKnown: true });
    if (reports.length) {
      for (const r of reports) connection.console.info(r.message);
      await connection.sendNotification(RecoveredNotification, { reports });
    }
  } catch (e) {
    connection.console.error(`recovery at start failed: ${(e as Error).message}; run \`codecontext recover\``);
  }
}

async function watchStore(): Promise<void> {
  watcher?.dispose();
  const dir = workspace.store().dir;
  watcher = new StoreWatcher(
    dir,
    (kinds) => {
      void connection.sendNotification(DidChangeNotification, { kinds });
      // a campaign started, rolled back or checkpointed: the auto checkpoints follow
      if (kinds.includes('campaigns')) void updateAutoCheckpoints();
    },
    (message) => connection.console.warn(message),
  );
  try {
    await watcher.start();
  } catch (e) {
    connection.console.warn(`cannot watch the store ${dir}: ${(e as Error).message}; lists refresh only on request`);
  }
}

handle(services, ReposListRequest, ReposListParams, async (p) => {
  const refresh = p.refresh ?? false;
  return { roots: [...workspace.roots], repos: await workspace.repos(refresh) };
});
const repoWatcher = new RepoWatcher(
  (repos) => void connection.sendNotification(ReposChangedNotification, { repos }),
  (message) => connection.console.warn(message),
);
handle(services, ReposWatchRequest, ReposWatchParams, async (p) => repoWatcher.watch(resolvedAll(p.repos) ?? []));
registerSnapshotHandlers(services);
registerCampaignHandlers(services);
registerContentHandlers(services);
registerRollbackHandlers(services);

connection.onShutdown(async () => {
  watcher?.dispose();
  watcher = undefined;
  repoWatcher.dispose();
  autoCheckpoints.dispose();
  await forgetPlans();
});

connection.listen();
