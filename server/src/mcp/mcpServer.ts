import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CliContext, Command, UsageError } from '../cli/command';
import { asEngineError } from '../engine/util/errors';
import { toolVersion } from '../engine/util/version';
import { AgentTool, agentTools } from './tools';

/**
 * Every agent tool on an MCP server. A tool's failure (a refusal, an unknown id, bad arguments) is
 * a tool error the model reads, one line with the engine's code; the server goes on serving.
 */
export function makeMcpServer(ctx: CliContext, tools: readonly AgentTool[] = agentTools): McpServer {
  const server = new McpServer({ name: 'codecontext', version: toolVersion });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: `${tool.description} (CLI: ${tool.cli})`,
        inputSchema: tool.input,
        annotations: { title: tool.title, readOnlyHint: !tool.destructive, destructiveHint: tool.destructive, openWorldHint: false },
      },
      async (args: Record<string, unknown>) => {
        try {
          const result = (await tool.run(args, ctx)) as Record<string, unknown>;
          return { content: [{ type: 'text' as const, text: JSON.stringify(result) }], structuredContent: result };
        } catch (e) {
          const message = e instanceof UsageError ? `Usage: ${e.message}` : errorLine(e);
          return { content: [{ type: 'text' as const, text: message }], isError: true };
        }
      },
    );
  }
  return server;
}

function errorLine(e: unknown): string {
  const err = asEngineError(e);
  return `${err.code}: ${err.oneLine()}`;
}

/** `codecontext mcp`: the tools over stdio until the client closes stdin. stdout is the protocol's alone. */
export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve the agent tools (checkpoint, preview, roll back, undo a step or a rollback) to an MCP client over stdio',
  usage: 'codecontext mcp [--store DIR]',
  examples: ['codecontext mcp', 'claude mcp add codecontext -- codecontext mcp'],
  details: [
    'Speaks the Model Context Protocol on stdin/stdout until stdin closes. Tools: ' + agentTools.map((t) => t.name).join(', ') + '.',
    "Each tool is a CLI command with --json (its description names it). No tool runs a repo's own check",
    'command unless you allowed that exact command before (codecontext rollback --trust-repo-checks).',
  ],
  options: {},
  positionals: [0, 0],
  async run(_args, ctx) {
    // no progress line and no consent prompt: stdout is the protocol's, and no one is at a terminal
    const server = makeMcpServer({ store: ctx.store, json: true, parallelism: ctx.parallelism });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
    });
    await server.connect(transport);
    await closed;
    await server.close();
    return { text: '', json: undefined };
  },
};
