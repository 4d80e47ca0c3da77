/**
 * Saves a PNG of the whole workbench as `<artefacts>/<name>.png` (`.vscode-test/artifacts` by default) and
 * returns its path. `waitForText` first waits until that text is visible in the workbench (or fails after
 * `timeoutMs`), so a test can assert what a user sees without sleeping; `waitForGone` waits until that text is no
 * longer visible. `pressAfter` (e.g. "Escape") is pressed in the workbench after the picture: how a test closes a
 * modal dialog it opened. `clickAfter` then clicks the last button of that exact name (e.g. a chat tool
 * confirmation's "Continue" or "Cancel").
 *
 * The picture is taken by scripts/e2e/codeWrapper.js, which drives the browser the workbench runs in and
 * serves CODECONTEXT_E2E_SCREENSHOT_URL. Under desktop VS Code there is no such URL: returns undefined.
 */
export async function screenshot(
  name: string,
  opts: { waitForText?: string; waitForGone?: string; timeoutMs?: number; pressAfter?: string; clickAfter?: string } = {},
): Promise<string | undefined> {
  return (await capture(name, opts))?.path;
}

/** Like `screenshot`, and also counts the workbench elements matching a CSS `selector` at that moment. */
export async function screenshotCounting(name: string, selector: string): Promise<{ path: string; count: number } | undefined> {
  const body = await capture(name, { count: selector });
  return body ? { path: body.path, count: body.count ?? 0 } : undefined;
}

async function capture(name: string, opts: object): Promise<{ path: string; count?: number } | undefined> {
  const url = process.env.CODECONTEXT_E2E_SCREENSHOT_URL;
  if (!url) return undefined;
  const res = await fetch(url, { method: 'POST', body: JSON.stringify({ name, ...opts }) });
  const body = (await res.json()) as { path?: string; error?: string; count?: number };
  if (!res.ok || !body.path) throw new Error(`screenshot "${name}" failed: ${body.error ?? res.status}`);
  return { path: body.path, count: body.count };
}
