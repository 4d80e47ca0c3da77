import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { git } from '../../git/gitRunner';
import { readBounded } from '../../store/boundedRead';

/**
 * Evidence signed with the key git signs commits with: `user.signingkey`, with `gpg.format` ssh
 * (`ssh-keygen -Y sign`, namespace `codecontext-evidence`, signature in `<pack>.sig`) or openpgp
 * (`gpg --detach-sign`, in `<pack>.asc`). A digest proves nothing against someone who can write the
 * store and recompute it; a signature needs the key. Without a key configured, packs are unsigned
 * and say so.
 */

export const namespace = 'codecontext-evidence';

interface SigningKey {
  format: 'ssh' | 'openpgp';
  key: string;
}

async function config(repo: string | undefined, key: string): Promise<string | undefined> {
  const cwd = repo ?? process.cwd();
  return git(cwd, ['config', '--get', key], { readOnly: true, okCodes: [1] }).then(
    (v) => v.trim() || undefined,
    () => undefined,
  );
}

async function signingKey(repo: string | undefined): Promise<SigningKey | undefined> {
  const key = await config(repo, 'user.signingkey');
  if (!key) return undefined;
  const format = ((await config(repo, 'gpg.format')) ?? 'openpgp').toLowerCase();
  if (format === 'ssh') return { format: 'ssh', key: key.replace(/^~(?=\/)/, process.env.HOME ?? '~') };
  if (format === 'openpgp') return { format: 'openpgp', key };
  return undefined; // x509 and others: not ours to drive
}

/** Runs a signing tool; one that waits (a passphrase prompt nobody answers) is stopped after 20 s. */
function run(cmd: string, args: string[], input?: Buffer): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', () => clearTimeout(timer));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.on('error', (e) => resolve({ code: 127, out: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** Signs the pack file when git has a signing key; returns what was done, for the record. */
export async function signPack(file: string, repo: string | undefined): Promise<{ signed: boolean; by?: string; problem?: string }> {
  const key = await signingKey(repo);
  if (!key) return { signed: false };
  if (key.format === 'ssh') {
    const r = await run('ssh-keygen', ['-Y', 'sign', '-f', key.key, '-n', namespace, file]);
    return r.code === 0 ? { signed: true, by: key.key } : { signed: false, problem: `ssh-keygen could not sign: ${r.out.trim().split('\n')[0]}` };
  }
  // never a prompt: a key that needs a passphrase the agent does not have fails, and the pack is unsigned
  const r = await run('gpg', [
    '--batch',
    '--yes',
    '--pinentry-mode',
    'error',
    '--armor',
    '--detach-sign',
    '--local-user',
    key.key,
    '--output',
    `${file}.asc`,
    file,
  ]);
  return r.code === 0 ? { signed: true, by: key.key } : { signed: false, problem: `gpg could not sign: ${r.out.trim().split('\n')[0]}` };
}

export interface SignatureCheck {
  state: 'unsigned' | 'good' | 'bad';
  /** Who signed (the allowed-signers principal, or gpg's "Good signature from"). */
  signer?: string;
  problem?: string;
}

/**
 * The user's own allowed-signers file: `gpg.ssh.allowedSignersFile` of the global git config only.
 * Never read inside a folder a pack names: a forged pack would name a folder whose own config points
 * at a file listing the forger's key under the user's principal (issue 21). `--global` skips every
 * repo's config; the empty folder, with git's search stopped at its parent, keeps an
 * `includeIf "gitdir:…"` of the global config from matching wherever the verifier happens to stand.
 */
async function userAllowedSigners(): Promise<string | undefined> {
  const neutral = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'codecontext-neutral-'));
  try {
    const value = await git(neutral, ['config', '--global', '--type=path', '--get', 'gpg.ssh.allowedSignersFile'], {
      readOnly: true,
      okCodes: [1],
      env: { GIT_CEILING_DIRECTORIES: path.dirname(neutral) },
    }).catch(() => '');
    return value.trim() || undefined;
  } finally {
    await fs.promises.rm(neutral, { recursive: true, force: true });
  }
}

const howToSet = 'your global git config: git config --global gpg.ssh.allowedSignersFile FILE';

/**
 * Checks the pack's signature: an ssh one against `allowedSigners` (else the user's global
 * `gpg.ssh.allowedSignersFile`), an openpgp one against the user's gpg keyring. The trust anchors
 * come only from the user's own configuration: nothing the pack names (its repos' paths) is read,
 * and no program a repo's config names (`gpg.program`, `gpg.ssh.program`) is run.
 */
export async function verifyPackSignature(file: string, allowedSigners?: string): Promise<SignatureCheck> {
  const bytes = await readBounded(file, { limit: 256 * 1024 * 1024, what: 'evidence pack', code: 'TamperedManifest', regularOnly: true });
  if (fs.existsSync(`${file}.sig`)) {
    const allowed = allowedSigners ?? (await userAllowedSigners());
    if (!allowed)
      return {
        state: 'bad',
        problem: `the pack is signed with an ssh key, but no allowed signers file is known (give --allowed-signers FILE, or set it in ${howToSet})`,
      };
    const found = await run('ssh-keygen', ['-Y', 'find-principals', '-s', `${file}.sig`, '-f', allowed]);
    const principal = found.code === 0 ? found.out.trim().split('\n')[0] : undefined;
    if (!principal) return { state: 'bad', problem: `the pack's signature is by no key of ${allowed}` };
    const v = await run('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', principal, '-n', namespace, '-s', `${file}.sig`], bytes);
    return v.code === 0
      ? { state: 'good', signer: principal }
      : {
          state: 'bad',
          signer: principal,
          problem: `the signature does not match the pack: it was changed after it was signed (${v.out.trim().split('\n')[0]})`,
        };
  }
  if (fs.existsSync(`${file}.asc`)) {
    const v = await run('gpg', ['--batch', '--verify', `${file}.asc`, file]);
    const signer = /Good signature from "([^"]+)"/.exec(v.out)?.[1];
    return v.code === 0 ? { state: 'good', signer } : { state: 'bad', problem: `gpg: ${v.out.trim().split('\n').slice(-1)[0]}` };
  }
  return { state: 'unsigned' };
}
