import { CampaignStep } from '../engine/campaign/campaign';
import { repoLabel } from '../engine/campaign/campaignDiff';
import { CampaignWatcher, defaultDebounceMs } from '../lsp/campaignWatcher';
import { Command, UsageError } from './command';
import { countsLine, plural, when } from './format';

/** `codecontext watch <camp>`: checkpoints the campaign whenever its repos change and then go quiet, until Ctrl-C. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'checkpoint a campaign whenever any writer changes its repos (an agent, a script, an editor), until Ctrl-C',
  usage: 'codecontext watch <camp> [--debounce S]',
  examples: ['codecontext watch rename-logger', 'codecontext watch camp_abc123 --debounce 5 --json'],
  details: [
    '--debounce S   how long the repos must be quiet before a checkpoint (default 2; 0.1 to 600)',
    'Each checkpoint is a step with source "auto", printed as it is recorded (--json: one JSON object',
    'a line). Nothing changed, or the repos just as a rollback left them, makes no step. Watching is',
    'event-driven (no polling): the worktree folder by folder, leaving out ignored folders and nested',
    'repos, and the index, HEAD and branches under .git.',
  ],
  options: { debounce: { type: 'string' } },
  positionals: [1, 1],
  async run({ positionals, values }, ctx) {
    const seconds = values.debounce === undefined ? defaultDebounceMs / 1000 : Number(values.debounce);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(String(values.debounce ?? '2')) || !(seconds >= 0.1 && seconds <= 600))
      throw new UsageError(`--debounce takes seconds from 0.1 to 600, not ${String(values.debounce)}`);
    const print = (step: CampaignStep, label: (repo: string) => string) => {
      if (ctx.json) process.stdout.write(JSON.stringify({ step }) + '\n');
      else {
        const repos = [...new Set(step.refChanges.map((r) => r.repo))];
        process.stdout.write(
          `step ${step.n} (${step.source ?? 'auto'}) ${when(step.at)}  ${plural(step.reposChanged, 'repo')} changed: ${countsLine(step.counts)}` +
            (repos.length ? `; HEAD moved in ${repos.map(label).join(', ')}` : '') +
            '\n',
        );
      }
    };
    const watcher = new CampaignWatcher({ ...ctx, progress: undefined }, positionals[0], {
      debounceMs: seconds * 1000,
      onStep: (step, campaign) => print(step, (repo) => repoLabel(campaign, repo)),
      onError: (m) => process.stderr.write(`codecontext: ${m}\n`),
      onWait: (what) => process.stderr.write(`codecontext: changes heard; waiting: ${what} is at work (its writes are its own)\n`),
      onInactive: (campaign) => {
        process.stderr.write(`codecontext: ${campaign.id} is ${campaign.status}: nothing more to watch\n`);
        stop();
      },
      onNoStep: () => process.stderr.write('codecontext: changes heard; no step: every repo is as the last checkpoint or a rollback left it\n'),
    });
    let stop = () => undefined as void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    try {
      const state = await watcher.start();
      process.stderr.write(
        `codecontext: watching ${plural(state.watching, 'repo')} of ${state.campaign.id} (${state.campaign.name}), ${plural(state.folders, 'folder')}; ` +
          `a checkpoint ${seconds} s after the writes stop. Ctrl-C to stop.\n`,
      );
      if (state.limited.length) process.stderr.write(`codecontext: only partly watched (inotify budget): ${state.limited.join(', ')}\n`);
      await stopped;
    } finally {
      watcher.dispose();
      await watcher.idle();
    }
    return { text: '', json: undefined };
  },
};
