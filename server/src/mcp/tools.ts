import * as z from 'zod';
import { CliContext, Command, ParsedArgs } from '../cli/command';
import { campaignCommands } from '../cli/campaignCommands';
import { rollbackCommands } from '../cli/rollbackCommands';
import { snapshotCommands } from '../cli/snapshotCommands';
import { Campaign, CampaignStep } from '../engine/campaign/campaign';
import { RollbackPlan, planRollback } from '../engine/rollback/plan/plan';
import { RollbackRecord } from '../engine/rollback/records';

/**
 * The agent tools, one table: each is a CLI command with `--json` (item 8: every tool has its CLI
 * equivalent, named in `cli`), run in this process over the same engine and store, its answer cut
 * to what an agent needs. The MCP server (mcpServer.ts) registers them; a VS Code LM tool can too.
 */
export interface AgentTool {
  name: string;
  title: string;
  /** What the model reads to decide when to call it. */
  description: string;
  /** The equivalent command line (its `--json` gives the full answer). */
  cli: string;
  input: z.ZodRawShape;
  /** Changes the repos (a client may ask the user first). */
  destructive: boolean;
  run(args: Record<string, unknown>, ctx: CliContext): Promise<unknown>;
}

const target = {
  campaign: z.string().min(1).optional().describe('Campaign id or name (roll back to its baseline, or with step to the state before that step)'),
  snapshot: z.string().min(1).optional().describe('Snapshot id (roll back to it); give campaign or snapshot, not both'),
  step: z.number().int().min(1).optional().describe('With campaign: go back to the state before this step (every later step undone)'),
  mode: z
    .enum(['restore', 'replay'])
    .optional()
    .describe('restore (default): exactly the target state; replay: undo only the recorded changes, keeping later edits'),
  repos: z.array(z.string().min(1)).optional().describe('Limit to these repo folders (absolute paths)'),
  paths: z.array(z.string().min(1)).optional().describe('Limit to files matching these globs, e.g. "src/**"'),
};

/** Runs the CLI command `name` with these values and positionals, as `codecontext <name> --json` would. */
async function cli(name: string, ctx: CliContext, positionals: string[], values: ParsedArgs['values'] = {}): Promise<unknown> {
  const command: Command | undefined = [...campaignCommands, ...snapshotCommands, ...rollbackCommands].find((c) => c.name === name);
  if (!command) throw new Error(`no CLI command ${name}`);
  const out = await command.run({ positionals, values, rest: [] }, { ...ctx, json: true });
  return out.json;
}

function targetValues(a: Record<string, unknown>): ParsedArgs['values'] {
  return {
    campaign: a.campaign as string | undefined,
    snapshot: a.snapshot as string | undefined,
    step: a.step === undefined ? undefined : String(a.step),
    'only-step': a.onlyStep === undefined ? undefined : String(a.onlyStep),
    mode: a.mode as string | undefined,
    repo: a.repos as string[] | undefined,
    path: a.paths as string[] | undefined,
    force: !!a.force,
  };
}

const stepShort = (s: CampaignStep) => ({ n: s.n, at: s.at, snapshot: s.snapshot, message: s.message, reposChanged: s.reposChanged, counts: s.counts });

function campaignShort(c: Campaign, repoCount = c.repos.length) {
  return { id: c.id, name: c.name, status: c.status, repos: repoCount, baseline: c.baseline, steps: c.steps.map(stepShort) };
}

function recordShort(r: RollbackRecord) {
  return {
    id: r.id,
    kind: r.kind,
    undoOf: r.undoOf,
    outcome: r.outcome,
    target: r.target.label,
    mode: r.mode,
    repos: r.repos.map((x) => ({ path: x.path, files: x.files })),
    safetySnapshot: r.safetySnapshot,
    undo: r.kind === 'rollback' ? `undo_rollback { "rollback": "${r.id}" }` : undefined,
  };
}

/** Inverse diffs cut so a preview stays short: per file at most `perFile` characters, in all at most `total`. */
export function previewOf(plan: RollbackPlan, perFile = 4000, total = 24000) {
  let left = total;
  let omitted = 0;
  const repos = plan.repos.map((r) => ({
    path: r.path,
    changed: r.changed,
    headChanged: r.headChanged,
    indexChanged: r.indexChanged,
    files: r.files.map((f) => {
      let diff: string | undefined;
      if (left > 0) {
        const cut = f.patch.length > perFile || f.patch.length > left;
        diff = f.patch.slice(0, Math.min(perFile, left)) + (cut ? '\n… (diff cut)' : '');
        left -= diff.length;
      } else omitted++;
      return { path: f.path, change: f.change, added: f.added, removed: f.removed, binary: f.binary, ...(diff !== undefined ? { diff } : {}) };
    }),
    drift: r.drift,
    conflicts: r.conflicts,
    notes: r.notes,
  }));
  return {
    plan: plan.hash.slice(0, 12),
    mode: plan.mode,
    target: plan.target,
    totals: plan.totals,
    repos,
    ...(omitted ? { diffsOmitted: `${omitted} files' diffs left out to keep this short; see codecontext rollback ... --dry-run --diff` } : {}),
    next:
      plan.totals.conflicts > 0
        ? 'conflicts: the rollback would be refused; undo fewer steps, or resolve the files named'
        : plan.totals.drift > 0 && plan.mode === 'restore'
          ? 'drift: files changed since the last checkpoint would be overwritten; pass force: true (the safety snapshot keeps them) or use mode "replay"'
          : 'call rollback with the same arguments to do it',
  };
}

export const agentTools: AgentTool[] = [
  {
    name: 'list_campaigns',
    title: 'List campaigns',
    description:
      'List the change campaigns (recorded sessions of edits across one or more git repos), newest first, with their steps (checkpoints). ' +
      'Use it to find the campaign id and step numbers before previewing or rolling back.',
    cli: 'codecontext campaign list --json',
    input: {},
    destructive: false,
    async run(_a, ctx) {
      const all = (await cli('campaign list', ctx, [])) as (Omit<Campaign, 'repos'> & { repoCount: number })[];
      // an unreadable campaign file is listed as it is ({ id, invalid, file }), never left out
      return { campaigns: all.map((c) => (c.steps ? campaignShort({ ...c, repos: [] }, c.repoCount) : c)) };
    },
  },
  {
    name: 'list_snapshots',
    title: 'List snapshots',
    description: 'List the snapshots (exact recorded states of repos: HEAD, index and every file) newest first; any of them can be a rollback target.',
    cli: 'codecontext snapshot list --json',
    input: {},
    destructive: false,
    async run(_a, ctx) {
      return { snapshots: await cli('snapshot list', ctx, []) };
    },
  },
  {
    name: 'list_rollbacks',
    title: 'List rollbacks',
    description: 'List rollbacks and undos, newest first, with their outcome; a rollback id is what undo_rollback takes.',
    cli: 'codecontext rollback list --json',
    input: {},
    destructive: false,
    async run(_a, ctx) {
      const all = (await cli('rollback list', ctx, [])) as RollbackRecord[];
      return { rollbacks: all.slice(0, 50).map((r) => (r.id && r.repos ? recordShort(r) : r)) };
    },
  },
  {
    name: 'start_campaign',
    title: 'Start a campaign',
    description:
      'Start recording a campaign before changing code: finds every git repo under the given folders and snapshots them all (the baseline). ' +
      'Call it once at the start of a task that edits files; then call checkpoint after each change.',
    cli: 'codecontext campaign start <name> --root DIR... --json',
    input: {
      name: z.string().min(1).describe('A short name for the task, e.g. "rename-logger"'),
      roots: z.array(z.string().min(1)).min(1).describe('Folders (absolute paths) whose git repos the campaign covers'),
    },
    destructive: false,
    async run(a, ctx) {
      const c = (await cli('campaign start', ctx, [a.name as string], { root: a.roots as string[] })) as Campaign & { alsoActive?: unknown[] };
      return { ...campaignShort(c), repoPaths: c.repos, ...(c.alsoActive ? { alsoActive: c.alsoActive } : {}) };
    },
  },
  {
    name: 'checkpoint',
    title: 'Checkpoint a campaign',
    description:
      "Record what changed in the campaign's repos since its last checkpoint as a new step (any writer: your edits, a shell command, a codemod). " +
      'Call it after each change you make, so any one step can be undone later. Nothing changed: no step (step is null).',
    cli: 'codecontext campaign checkpoint <camp> [-m MSG] --if-changed --source mcp --json',
    input: {
      campaign: z.string().min(1).describe('Campaign id or name'),
      message: z.string().optional().describe('What this step did, e.g. "bump version"'),
    },
    destructive: false,
    async run(a, ctx) {
      const r = (await cli('campaign checkpoint', ctx, [a.campaign as string], {
        message: a.message as string | undefined,
        'if-changed': true,
        source: 'mcp',
      })) as { campaign: string; step: CampaignStep | null; changes: unknown[] };
      if (!r.step) return { campaign: r.campaign, step: null, note: 'nothing changed since the last checkpoint: no step' };
      return { campaign: r.campaign, step: stepShort(r.step), files: r.changes.length };
    },
  },
  {
    name: 'preview_rollback',
    title: 'Preview a rollback',
    description:
      'Show what a rollback would do without changing anything: per repo the files it would restore, recreate or remove with their inverse diffs ' +
      '(cut to stay short), drift (edits made since the last checkpoint it would overwrite) and conflicts. Give campaign (its baseline), ' +
      'campaign + step (the state before that step), campaign + onlyStep (undo that one step alone), or snapshot.',
    cli: 'codecontext rollback (--campaign C [--step N | --only-step N] | --snapshot S) --dry-run --json',
    input: { ...target, onlyStep: z.number().int().min(1).optional().describe('With campaign: undo this one step alone, keeping the steps after it') },
    destructive: false,
    async run(a, ctx) {
      const plan = await planRollback(ctx, {
        campaign: a.campaign as string | undefined,
        snapshot: a.snapshot as string | undefined,
        step: a.step as number | undefined,
        onlyStep: a.onlyStep as number | undefined,
        mode: a.mode as 'restore' | 'replay' | undefined,
        repos: a.repos as string[] | undefined,
        paths: a.paths as string[] | undefined,
      });
      return previewOf(plan);
    },
  },
  {
    name: 'rollback',
    title: 'Roll back',
    description:
      "Roll repos back, all or nothing: to a campaign's baseline, to the state before a step, or to a snapshot. Refused (nothing changed) on " +
      'conflicts, or on drift unless force is true. A safety snapshot is taken first: undo_rollback with the returned id brings everything back.',
    cli: 'codecontext rollback (--campaign C [--step N] | --snapshot S) [--mode M] [--force] --json',
    input: { ...target, force: z.boolean().optional().describe('Roll back over drift (edits since the last checkpoint; the safety snapshot keeps them)') },
    destructive: true,
    async run(a, ctx) {
      return recordShort((await cli('rollback', ctx, [], targetValues(a))) as RollbackRecord);
    },
  },
  {
    name: 'undo_step',
    title: 'Undo one step',
    description:
      'Undo one step of a campaign alone and keep every step after it (the inverse of that step, replayed over the later ones). A line the ' +
      'step changed that was changed again since is a conflict: refused, nothing written.',
    cli: 'codecontext rollback --campaign C --only-step N --json',
    input: {
      campaign: z.string().min(1).describe('Campaign id or name'),
      step: z.number().int().min(1).describe('The step to undo (1 is the first checkpoint)'),
      repos: target.repos,
      paths: target.paths,
    },
    destructive: true,
    async run(a, ctx) {
      return recordShort((await cli('rollback', ctx, [], targetValues({ ...a, step: undefined, onlyStep: a.step }))) as RollbackRecord);
    },
  },
  {
    name: 'undo_rollback',
    title: 'Undo a rollback',
    description: 'Put every repo of a finished rollback back as it was just before it (its safety snapshot), as a transaction of its own.',
    cli: 'codecontext rollback undo <rb_id> [--force] --json',
    input: {
      rollback: z.string().min(1).describe('The rollback id (rb_…), from rollback, undo_step or list_rollbacks'),
      force: z.boolean().optional().describe("Undo even over edits made after the rollback (kept in the undo's own safety snapshot)"),
    },
    destructive: true,
    async run(a, ctx) {
      return recordShort((await cli('rollback undo', ctx, [a.rollback as string], { force: !!a.force })) as RollbackRecord);
    },
  },
];
