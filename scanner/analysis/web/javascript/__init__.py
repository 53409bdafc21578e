"""Web configuration in JavaScript/TypeScript: cors middleware, NestJS, Fastify, Hono, response headers,
next.config."""
