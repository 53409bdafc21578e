"""LLM agent tools: definitions, the effects their implementations reach, confirmation gates, prompts."""
