"""The API keys area: `apiKeys`, `apiKeyCreate` and `apiKeyRevoke`, for owners."""
