"""Loopback OpenAI-compatible servers for tests: a scripted one for failures, real ones on the embedded model."""
