"""Persistence: where files live, profiles, secrets in the OS keyring, onboarding history."""
