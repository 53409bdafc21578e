"""Routes in JavaScript and TypeScript: Next.js, Express-style routers, server actions, middleware."""
