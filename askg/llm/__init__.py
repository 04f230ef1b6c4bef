"""The LLM side of `askg build`: versioned prompts, an OpenAI-compatible client, the answer cache."""
