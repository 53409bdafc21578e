"""Agent tools in JavaScript/TypeScript: Vercel AI SDK, OpenAI Agents SDK, LangChain.js, MCP servers,
tool-call loops."""
