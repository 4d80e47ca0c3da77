// Test-only extension: the default chat participant, which invokes one CodeContext tool inside a chat request.
// Outside a chat request VS Code shows no tool confirmation; inside one, given the request's toolInvocationToken,
// it shows the tool's prepareInvocation confirmation in the chat view (test/e2e/suite/chatConfirm.test.ts).
// Without Copilot the chat view exists only once a default participant is registered (proposed API
// defaultChatParticipant, enabled for this extension by codeWrapper.js's --enable-proposed-api).
// Prompt: "<tool name> <JSON input>". The suite reads each outcome, { tool, result } or { tool, error }
// (a cancelled confirmation throws), through `exports.next()`. Plain JavaScript, so that this folder is the
// whole extension as it is (scripts/e2e/codeWrapper.js copies it into the extensions folder).
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
const vscode = require('vscode');

function activate(context) {
  const done = [];
  const waiting = [];
  const settle = (outcome) => {
    const w = waiting.shift();
    if (w) w(outcome);
    else done.push(outcome);
  };
  const participant = vscode.chat.createChatParticipant('codecontext-e2e.tool', async (request, _context, stream, token) => {
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(request.prompt);
    const tool = m ? m[1] : '';
    try {
      const input = m && m[2] ? JSON.parse(m[2]) : {};
      const r = await vscode.lm.invokeTool(tool, { input, toolInvocationToken: request.toolInvocationToken }, token);
      const text = r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
      stream.markdown(`${tool} answered: \`${text.slice(0, 300)}\``);
      settle({ tool, result: text });
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      stream.markdown(`${tool} did not run: ${error}`);
      settle({ tool, error });
    }
    return {};
  });
  // Without Copilot there is no language model, and VS Code refuses a chat request without one ("Language model
  // unavailable"): a stand-in, never asked anything (the participant answers without a model).
  const model = vscode.lm.registerChatModelProvider(
    'e2e-none',
    {
      provideLanguageModelResponse: async () => undefined,
      provideTokenCount: async (text) => (typeof text === 'string' ? text.length : 1),
    },
    {
      vendor: 'codecontext-e2e',
      name: 'e2e (no model)',
      family: 'e2e',
      version: '1',
      maxInputTokens: 1000,
      maxOutputTokens: 1000,
      isDefault: true,
      isUserSelectable: true,
    },
  );
  context.subscriptions.push(participant, model);
  return { next: () => (done.length ? Promise.resolve(done.shift()) : new Promise((resolve) => waiting.push(resolve))) };
}

module.exports = { activate };
