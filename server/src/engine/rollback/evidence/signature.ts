import { spawn } from 'child_process';
import * as fs from 'fs';
import { git } from '../../git/gitRunner';

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
 * Checks the pack's signature: an ssh one against `allowedSigners` (else `gpg.ssh.allowedSignersFile`),
 * an openpgp one against the gpg keyring. `repo` is where git config is read.
 */
export async function verifyPackSignature(file: string, repo: string | undefined, allowedSigners?: string): Promise<SignatureCheck> {
  const bytes = await fs.promises.readFile(file);
  if (fs.existsSync(`${file}.sig`)) {
    const allowed = allowedSigners ?? (await config(repo, 'gpg.ssh.allowedSignersFile'))?.replace(/^~(?=\/)/, process.env.HOME ?? '~');
    if (!allowed)
      return {
        state: 'bad',
        problem: 'the pack is signed with an ssh key, but no allowed signers file is known (give --allowed-signers FILE, or set gpg.ssh.allowedSignersFile)',
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
