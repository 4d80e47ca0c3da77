// The types of reportInBrowser.js, for the two tests that load it at run time (test/cli/evidenceReport.test.ts and
// test/e2e/suite/evidence.test.ts): `import type` of this file, then require() of the script by its path in the checkout.

/** What the page did and drew. */
export interface ReportRendering {
  requests: string[];
  blocked: string[];
  cspErrors: string[];
  consoleErrors: string[];
  title: string;
  bars: number;
  repos: string[];
  files: string[];
  diffs: number;
  outcomeColour: string;
  scripts: number;
  text: string;
}

export function chromiumAvailable(): boolean;
export function renderReport(html: string, png?: string): Promise<ReportRendering>;
