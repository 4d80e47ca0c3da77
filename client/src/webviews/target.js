"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.targetFromArg = targetFromArg;
exports.pickTarget = pickTarget;
const vscode = __importStar(require("vscode"));
const protocol_1 = require("../../../server/src/protocol");
const serverClient_1 = require("../serverClient");
/**
 * Reads the command argument the ways callers give it: a `PreviewTarget`, an id string
 * (`snap_…` / `camp_…`), or a tree item carrying such fields (`snapshot`, `campaign`, `step`, `id`).
 */
function targetFromArg(arg) {
    if (typeof arg === 'string')
        return arg.startsWith('snap_') ? { snapshot: arg } : arg ? { campaign: arg } : undefined;
    if (!arg || typeof arg !== 'object')
        return undefined;
    const o = arg;
    const str = (v) => (typeof v === 'string' && v ? v : undefined);
    const target = {
        snapshot: str(o.snapshot),
        campaign: str(o.campaign) ?? str(o.campaignId),
        step: typeof o.step === 'number' && o.step > 0 ? o.step : undefined,
        mode: o.mode === 'restore' || o.mode === 'replay' ? o.mode : undefined,
    };
    if (!target.snapshot && !target.campaign && typeof o.id === 'string')
        return targetFromArg(o.id);
    return target.snapshot || target.campaign ? target : undefined;
}
/** A quick pick of campaigns (their baselines) and snapshots, newest first; undefined when dismissed. */
async function pickTarget() {
    const client = (0, serverClient_1.requireClient)();
    const [campaigns, snapshots] = await Promise.all([client.sendRequest(protocol_1.CampaignListRequest, {}), client.sendRequest(protocol_1.SnapshotListRequest, {})]);
    const items = [];
    if (campaigns.campaigns.length)
        items.push({ label: 'Campaigns', kind: vscode.QuickPickItemKind.Separator });
    for (const c of campaigns.campaigns) {
        items.push({
            label: `$(history) ${c.name}`,
            description: `${c.id} · baseline`,
            detail: `${c.repoCount} repos · ${c.stepCount} steps · ${c.status}${c.lastStepAt ? ` · last step ${when(c.lastStepAt)}` : ''}`,
            target: { campaign: c.id },
        });
    }
    const valid = snapshots.snapshots.filter((s) => s.valid);
    if (valid.length)
        items.push({ label: 'Snapshots', kind: vscode.QuickPickItemKind.Separator });
    for (const s of valid) {
        items.push({
            label: `$(device-camera) ${s.message || s.id}`,
            description: s.message ? s.id : undefined,
            detail: `${s.repoCount} repos · ${when(s.createdAt)}${s.campaign ? ` · ${s.campaign}` : ''}`,
            target: { snapshot: s.id },
        });
    }
    if (!items.length) {
        void vscode.window.showInformationMessage('CodeContext: nothing to roll back to yet. Create a snapshot or start a campaign first.');
        return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'Preview Rollback', placeHolder: 'Roll back to… (a campaign rolls back to its baseline)', matchOnDescription: true, matchOnDetail: true });
    return picked?.target;
}
function when(iso) {
    return new Date(iso).toLocaleString();
}
//# sourceMappingURL=target.js.map