"""launchready: a static-analysis and secret scanner for AI chatbot and SaaS codebases."""

__version__ = "0.1.0"
